#!/bin/sh
# 9p modules for the guest kernel, so microVM volumes are live shares
# (virtio-9p) instead of copies. Debian's cloud kernel is built without 9p
# (CONFIG_NET_9P is not set), so they are built here, out of tree, from the
# same upload's linux-source and linux-headers (apt-get download, unpacked
# in a scratch directory: nothing is installed) into
#   DEST/lib/modules/VERSION/extra/{9pnet,9pnet_virtio,9p}.ko
# DEST defaults to /usr/local/share/hullbox/guest (fetch-guest-kernel.sh's).
# Does nothing when they are there already. Needs gcc-12 and make; without
# these modules hullbox copies volumes in and out instead
# (hullbox run --help, --isolation).
set -eu
dest="${1:-/usr/local/share/hullbox/guest}"
kernel=$(readlink "$dest/vmlinuz")
version=${kernel#vmlinuz-}
extra="$dest/lib/modules/$version/extra"
[ -e "$extra/9p.ko" ] && [ -e "$extra/9pnet_virtio.ko" ] && exit 0
# the kernel package's Debian version names the source and kbuild that built it
debver=$(apt-cache show "linux-image-$version" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
if [ -z "$debver" ]; then
    echo "build-guest-9p: linux-image-$version not known to apt (run apt-get update)" >&2
    exit 1
fi
series=${debver%%.*}.$(echo "$debver" | cut -d. -f2)     # 6.1.192-2 -> 6.1
abi=${version%-*-*}                                          # 6.1.0-56-cloud-amd64 -> 6.1.0-56
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building 9p modules for guest kernel $version"
(cd "$work" && apt-get download -q=2 -o APT::Sandbox::User=root \
    "linux-source-$series=$debver" "linux-headers-$version=$debver" \
    "linux-headers-$abi-common=$debver" "linux-kbuild-$series=$debver")
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
headers="$work/x/usr/src/linux-headers-$version"
# its Makefile includes the common headers by their installed path
sed -i "s|include /usr/src/|include $work/x/usr/src/|" "$headers/Makefile"
tar -xJf "$work/x/usr/src/linux-source-$series.tar.xz" -C "$work" \
    "linux-source-$series/fs/9p" "linux-source-$series/net/9p"
mkdir "$work/m"
mv "$work/linux-source-$series/net/9p" "$work/m/net9p"
mv "$work/linux-source-$series/fs/9p" "$work/m/fs9p"
echo 'obj-m += net9p/ fs9p/' >"$work/m/Kbuild"
make -s -C "$headers" M="$work/m" CONFIG_NET_9P=m CONFIG_NET_9P_VIRTIO=m CONFIG_9P_FS=m \
    modules 2>&1 | grep -v 'Skipping BTF generation' >&2 || true
mkdir -p "$extra.tmp"
cp "$work/m/net9p/9pnet.ko" "$work/m/net9p/9pnet_virtio.ko" "$work/m/fs9p/9p.ko" "$extra.tmp/"
# debug info is most of their size, and the guest initramfs carries them
strip --strip-debug "$extra.tmp"/*.ko
rm -rf "$extra"
mv "$extra.tmp" "$extra"
