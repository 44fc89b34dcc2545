#!/bin/sh
# Debian packages hullbox and its tests need; apt runs only when one is missing.
set -eu
packages="python3-venv python3-dev busybox-static runc libseccomp2 util-linux iproute2 qemu-system-x86 qemu-utils nftables e2fsprogs uidmap slirp4netns catatonit dnsmasq-base make gcc-12 binutils xz-utils"
if [ "${1:-}" = "--test" ]; then
    packages="$packages docker-registry skopeo apache2-utils openssl cpio gcc libc6-dev iperf3 podman podman-compose mmdebstrap dosfstools mtools syslinux syslinux-common openssh-client"
fi
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
fi
# Rootless networking (slirp4netns) opens /dev/net/tun as an ordinary user:
# udev makes it 0666 on a stock Debian; a machine without udev may not.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    chmod 0666 /dev/net/tun
fi
# The guest kernel for VMs and microVMs (unpacked, not installed).
"$(dirname "$0")/fetch-guest-kernel.sh"
# Its 9p modules, built from the same upload's source (the cloud kernel has
# none): microVM volumes are then live shares, not copies.
"$(dirname "$0")/build-guest-9p.sh"
