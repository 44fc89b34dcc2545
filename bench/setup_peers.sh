#!/bin/bash
# Prepare the peer engines that bench/run_latency.py measures hullbox against.
#
#   bench/setup_peers.sh            (as root, Debian 12; idempotent)
#
# Installs runc, crun, podman, docker.io, hyperfine, busybox-static and the
# compose peers (podman-compose, docker-compose 1.29) when missing; writes
# /etc/containers/containers.conf with the settings that make podman run on
# this machine kind (see ../shared/PEERS.md); starts a private
# dockerd under /tmp/hullbox-bench-docker; imports a busybox rootfs as
# busybox:latest into podman and docker; prepares a runc/crun bundle under
# /tmp/hullbox-bench/bundle. Prints one line per peer: ready / unavailable.
# One peer failing never fails the script.
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=/tmp/hullbox-bench
BUNDLE=$BENCH_DIR/bundle
ROOTFS_TAR=$BENCH_DIR/busybox-rootfs.tar
DOCKER_DIR=/tmp/hullbox-bench-docker
DOCKER_SOCK=$DOCKER_DIR/docker.sock
# /usr/local/bin/docker (a newer static CLI) may shadow Debian's; use Debian's.
DOCKER=/usr/bin/docker
CONTAINERS_CONF=${CONTAINERS_CONF:-/etc/containers/containers.conf}
PACKAGES="runc crun podman docker.io hyperfine busybox-static podman-compose docker-compose"

declare -A STATUS=()

log() { echo "setup_peers: $*" >&2; }
mark() { STATUS[$1]=$2; }

# ---------------------------------------------------------------- packages

missing_packages() {
    local pkg missing=""
    for pkg in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing="$missing $pkg"
    done
    echo "$missing"
}

install_packages() {
    local missing pkg
    missing=$(missing_packages)
    [ -z "$missing" ] && { log "packages: all present"; return 0; }
    log "packages: installing$missing"
    apt-get update -qq >&2 || log "apt-get update failed; trying the install anyway"
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2; then
        # One bad package must not keep the others out: retry one by one.
        for pkg in $missing; do
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2 \
                || log "apt-get install $pkg failed"
        done
    fi
}

# ---------------------------------------------------------------- containers.conf

conf_is_equivalent() {
    # True when containers.conf already holds the four settings PEERS.md needs.
    [ -f "$CONTAINERS_CONF" ] || return 1
    python3 - "$CONTAINERS_CONF" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    conf = tomllib.load(f)
c, e = conf.get("containers", {}), conf.get("engine", {})
ok = (
    set(c.get("default_ulimits", [])) >= {"nofile=20000:20000", "nproc=32768:32768"}
    and e.get("cgroup_manager") == "cgroupfs"
    and e.get("events_logger") == "file"
    and e.get("runtime") == "runc"
)
sys.exit(0 if ok else 1)
PY
}

write_containers_conf() {
    if conf_is_equivalent; then
        log "containers.conf: already has the needed settings"
        return 0
    fi
    mkdir -p "$(dirname "$CONTAINERS_CONF")"
    if [ -s "$CONTAINERS_CONF" ]; then
        local bak=$CONTAINERS_CONF.bak
        [ -e "$bak" ] && bak=$CONTAINERS_CONF.bak.$(date +%s)
        cp -p "$CONTAINERS_CONF" "$bak"
        log "containers.conf: previous file backed up to $bak"
    fi
    cat > "$CONTAINERS_CONF.tmp" <<'CONF'
# Written by hullbox bench/setup_peers.sh (see PEERS.md): no CAP_SYS_RESOURCE,
# hard nofile 20000, pid_max 32768, cgroups v1 hybrid, no systemd.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
    mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
    log "containers.conf: written"
}

# ---------------------------------------------------------------- rootfs, bundle

make_rootfs_tar() {
    mkdir -p "$BENCH_DIR"
    [ -s "$ROOTFS_TAR" ] && return 0
    "$REPO/scripts/make-busybox-rootfs.sh" "$ROOTFS_TAR.tmp" && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
}

make_bundle() {
    command -v runc >/dev/null || { log "runc missing: no bundle"; return 1; }
    if [ -f "$BUNDLE/config.json" ] && [ -x "$BUNDLE/rootfs/bin/busybox" ]; then
        return 0
    fi
    rm -rf "$BUNDLE"
    mkdir -p "$BUNDLE/rootfs"
    tar -C "$BUNDLE/rootfs" -xf "$ROOTFS_TAR" || return 1
    (cd "$BUNDLE" && runc spec) || return 1
    python3 - "$BUNDLE/config.json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    spec = json.load(f)
spec["process"]["args"] = ["true"]
spec["process"]["terminal"] = False
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
PY
}

# ---------------------------------------------------------------- peers

check_runc() {
    command -v runc >/dev/null || { mark runc "unavailable (runc not installed)"; return; }
    [ -f "$BUNDLE/config.json" ] || { mark runc "unavailable (no bundle at $BUNDLE)"; return; }
    local id=hullbox-setup-$$ err
    if err=$(runc run --bundle "$BUNDLE" "$id" 2>&1 </dev/null); then
        mark runc "ready (runc run --bundle $BUNDLE)"
    else
        runc delete --force "$id" >/dev/null 2>&1
        mark runc "unavailable (runc run failed: ${err//$'\n'/ })"
    fi
}

check_crun() {
    command -v crun >/dev/null || { mark crun "unavailable (crun not installed)"; return; }
    [ -f "$BUNDLE/config.json" ] || { mark crun "unavailable (no bundle at $BUNDLE)"; return; }
    local id=hullbox-setup-crun-$$ err
    # crun refuses the hybrid cgroup layout: hide /sys/fs/cgroup/unified in a
    # private mount namespace (PEERS.md).
    if err=$(unshare --mount --propagation private sh -c \
            'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun \
            run --bundle "$BUNDLE" "$id" 2>&1 </dev/null); then
        mark crun "ready (crun run through unshare, cgroup2 unified hidden)"
    else
        crun delete --force "$id" >/dev/null 2>&1
        mark crun "unavailable (crun run failed: ${err//$'\n'/ })"
    fi
}

check_podman() {
    command -v podman >/dev/null || { mark podman "unavailable (podman not installed)"; return; }
    local err
    if ! podman image exists busybox:latest 2>/dev/null; then
        err=$(podman import "$ROOTFS_TAR" busybox:latest 2>&1) \
            || { mark podman "unavailable (podman import failed: ${err//$'\n'/ })"; return; }
    fi
    if err=$(podman run --rm --network none busybox true 2>&1 </dev/null); then
        mark podman "ready (podman run --rm --network none busybox true)"
    else
        mark podman "unavailable (podman run failed: ${err//$'\n'/ })"
    fi
}

docker_answers() {
    "$DOCKER" -H "unix://$DOCKER_SOCK" version >/dev/null 2>&1
}

start_dockerd() {
    command -v dockerd >/dev/null || return 1
    docker_answers && return 0
    mkdir -p "$DOCKER_DIR/data" "$DOCKER_DIR/exec"
    log "dockerd: starting (log $DOCKER_DIR/dockerd.log)"
    setsid nohup dockerd \
        --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" \
        --pidfile "$DOCKER_DIR/dockerd.pid" -H "unix://$DOCKER_SOCK" \
        --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
        </dev/null >"$DOCKER_DIR/dockerd.log" 2>&1 &
    local i
    for i in $(seq 1 60); do
        docker_answers && return 0
        sleep 0.5
    done
    return 1
}

check_docker() {
    [ -x "$DOCKER" ] || { mark docker "unavailable ($DOCKER missing: apt-get install docker.io)"; return; }
    if ! start_dockerd; then
        mark docker "unavailable (dockerd did not answer on $DOCKER_SOCK; see $DOCKER_DIR/dockerd.log)"
        return
    fi
    local d=("$DOCKER" -H "unix://$DOCKER_SOCK") err
    if ! "${d[@]}" image inspect busybox:latest >/dev/null 2>&1; then
        err=$("${d[@]}" import "$ROOTFS_TAR" busybox:latest 2>&1) \
            || { mark docker "unavailable (docker import failed: ${err//$'\n'/ })"; return; }
    fi
    if err=$("${d[@]}" run --rm --network none busybox true 2>&1 </dev/null); then
        mark docker "ready (private dockerd on unix://$DOCKER_SOCK)"
    else
        mark docker "unavailable (docker run failed: ${err//$'\n'/ })"
    fi
}

check_floor() {
    local rootfs=$BUNDLE/rootfs err
    [ -x "$rootfs/bin/true" ] || { mark floor "unavailable (no rootfs at $rootfs)"; return; }
    if err=$(unshare --mount --pid --net --uts --ipc --fork chroot "$rootfs" /bin/true 2>&1); then
        mark floor "ready (unshare ... chroot $rootfs /bin/true)"
    else
        mark floor "unavailable (unshare failed: ${err//$'\n'/ })"
    fi
}

check_hyperfine() {
    if command -v hyperfine >/dev/null; then
        mark hyperfine "ready ($(hyperfine --version))"
    else
        mark hyperfine "unavailable (not installed)"
    fi
}

main() {
    [ "$(id -u)" = 0 ] || { echo "setup_peers: run as root" >&2; exit 1; }
    install_packages
    write_containers_conf
    if make_rootfs_tar; then
        make_bundle || log "bundle: could not be prepared"
    else
        log "rootfs: scripts/make-busybox-rootfs.sh failed"
    fi
    check_runc
    check_crun
    check_podman
    check_docker
    check_floor
    check_hyperfine
    local peer
    for peer in runc crun podman docker floor hyperfine; do
        printf '%-10s %s\n' "$peer:" "${STATUS[$peer]:-unavailable (not checked)}"
    done
}

main "$@"
