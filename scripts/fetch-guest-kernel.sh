#!/bin/sh
# The kernel hullbox boots in its small guests (tests, microVMs): the Debian
# cloud kernel, unpacked (not installed: it is not the host's kernel) into
# DEST, default /usr/local/share/hullbox/guest:
#   DEST/vmlinuz -> vmlinuz-VERSION, DEST/config-VERSION, DEST/lib/modules/VERSION
# Does nothing when DEST/vmlinuz already exists.
set -eu
dest="${1:-/usr/local/share/hullbox/guest}"
[ -e "$dest/vmlinuz" ] && exit 0
# linux-image-cloud-amd64 is a metapackage; the kernel is the package it depends on.
package=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\)$/\1/p' | head -n 1)
if [ -z "$package" ]; then
    echo "fetch-guest-kernel: linux-image-cloud-amd64 not known to apt (run apt-get update)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching guest kernel $package"
# Sandbox user root: the private temp directory is not _apt's to write.
(cd "$work" && apt-get download -q=2 -o APT::Sandbox::User=root "$package")
dpkg-deb -x "$work"/"$package"_*.deb "$work/x"
version=${package#linux-image-}
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/lib/modules"
cp "$work/x/boot/vmlinuz-$version" "$work/x/boot/config-$version" "$dest.tmp/"
mv "$work/x/lib/modules/$version" "$dest.tmp/lib/modules/"
ln -s "vmlinuz-$version" "$dest.tmp/vmlinuz"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
