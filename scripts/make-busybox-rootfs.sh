#!/bin/sh
# Make a minimal root filesystem tar from Debian's static busybox:
#   scripts/make-busybox-rootfs.sh OUT.tar
set -eu
out=$1
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-busybox-rootfs: $busybox missing; apt-get install busybox-static" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/etc" "$tmp/root" "$tmp/tmp" "$tmp/home" "$tmp/var/tmp" \
         "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/usr/bin" "$tmp/sbin"
chmod 755 "$tmp"  # mktemp made it 0700: every user must reach /
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
cp "$busybox" "$tmp/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$tmp/bin/$applet"
done
cat > "$tmp/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > "$tmp/etc/group" <<'GR'
root:x:0:
daemon:x:1:
www-data:x:33:
users:x:100:
nogroup:x:65534:
GR
tar --numeric-owner --owner=0 --group=0 -C "$tmp" -cf "$out" .
