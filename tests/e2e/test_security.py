"""Security flags of `hullbox run`, checked from inside the container as a user would."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root

STATUS = "grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status"
DEFAULT_CAPS = "00000000a80425fb"  # Docker's 14 default capabilities


def _status(hullbox: Hullbox, *flags: str) -> dict[str, str]:
    out = hullbox.ok("run", "--rm", *flags, "busybox", "sh", "-c", STATUS)
    return dict(line.split(":\t") for line in out.splitlines())


def _one_line_125(hullbox: Hullbox, *args: str) -> str:
    before = hullbox.ok("ps", "-aq")
    result = hullbox(*args)
    assert result.returncode == 125, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("hullbox: ")
    assert hullbox.ok("ps", "-aq") == before  # nothing half-made
    return result.stderr


def test_default_container(hullbox: Hullbox) -> None:
    status = _status(hullbox)
    assert status == {"CapEff": DEFAULT_CAPS, "CapBnd": DEFAULT_CAPS, "NoNewPrivs": "0",
                      "Seccomp": "2"}


def test_cap_drop_all_and_add_one(hullbox: Hullbox) -> None:
    for flags in (("--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE"),
                  ("--cap-drop", "all", "--cap-add", "cap_net_bind_service")):
        status = _status(hullbox, *flags)
        assert status["CapEff"] == status["CapBnd"] == f"{1 << 10:016x}"


def test_cap_drop_one(hullbox: Hullbox) -> None:
    out = hullbox("run", "--rm", "--cap-drop", "CHOWN", "busybox", "chown", "1:1", "/bin")
    assert out.returncode == 1 and "Operation not permitted" in out.stderr
    assert hullbox("run", "--rm", "busybox", "chown", "1:1", "/tmp").returncode == 0


def test_privileged(hullbox: Hullbox) -> None:
    status = _status(hullbox, "--privileged")
    with open("/proc/self/status") as f:
        host_bounding = next(line.split()[1] for line in f if line.startswith("CapBnd:"))
    assert status["CapEff"] == host_bounding and status["Seccomp"] == "0"
    out = hullbox.ok("run", "--rm", "--privileged", "busybox", "sh", "-c",
                     "ls /dev/loop-control; mkdir /m; mount -t tmpfs t /m && echo mounted; "
                     "grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1")
    assert out.split() == ["/dev/loop-control", "mounted", "rw"]


def test_seccomp_unconfined_and_no_new_privileges(hullbox: Hullbox) -> None:
    assert _status(hullbox, "--security-opt", "seccomp=unconfined")["Seccomp"] == "0"
    for opt in ("no-new-privileges", "no-new-privileges=true", "no-new-privileges:true"):
        status = _status(hullbox, "--security-opt", opt)
        assert (status["NoNewPrivs"], status["Seccomp"]) == ("1", "2")


def test_user_profile_denies_mkdir(hullbox: Hullbox, tmp_path: Path) -> None:
    profile = tmp_path / "no-mkdir.json"
    profile.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}))
    out = hullbox("run", "--rm", "--security-opt", f"seccomp={profile}", "busybox",
                  "mkdir", "/made")
    assert out.returncode == 1
    assert "mkdir: can't create directory '/made': Operation not permitted" in out.stderr


def test_default_profile_refuses_user_namespaces(hullbox: Hullbox) -> None:
    out = hullbox("run", "--rm", "busybox", "unshare", "-U", "true")
    assert out.returncode == 1 and "Operation not permitted" in out.stderr
    # with CAP_SYS_ADMIN, as in Docker, the rule is left out
    assert hullbox("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox",
                   "unshare", "-U", "true").returncode == 0


def test_device(hullbox: Hullbox) -> None:
    if not Path("/dev/fuse").exists():
        pytest.skip("the host has no /dev/fuse")
    out = hullbox.ok("run", "--rm", "--device", "/dev/fuse", "busybox", "sh", "-c",
                     "exec 3<>/dev/fuse && echo opened")
    assert out == "opened\n"
    out = hullbox.ok("run", "--rm", "--device", "/dev/fuse:/dev/f:r", "busybox", "sh", "-c",
                     "exec 3</dev/f && echo read; echo x 2>/dev/null >/dev/f || echo no-write")
    assert out.split() == ["read", "no-write"]
    # without --device, the cgroup refuses a node made by hand
    denied = hullbox("run", "--rm", "busybox", "sh", "-c",
                     "mknod /tmp/f c 10 229 && exec 3<>/tmp/f")
    assert denied.returncode != 0 and "Operation not permitted" in denied.stderr


def test_sysctl(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl",
                     "kernel.shmmni=1000", "busybox", "cat",
                     "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni")
    assert out.split() == ["1", "1000"]


def test_ulimit(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "--ulimit", "nofile=1024:2048", "busybox", "sh", "-c",
                     "ulimit -n; ulimit -Hn")
    assert out.split() == ["1024", "2048"]


def test_inspect_shows_the_settings(hullbox: Hullbox) -> None:
    hullbox.ok("create", "--name", "secinspect", "--cap-add", "net_admin", "--cap-drop",
               "MKNOD", "--sysctl", "net.ipv4.ip_forward=1", "--ulimit", "nofile=100",
               "--security-opt", "no-new-privileges", "busybox", "true")
    try:
        host = json.loads(hullbox.ok("inspect", "secinspect"))[0]["HostConfig"]
        assert host["CapAdd"] == ["CAP_NET_ADMIN"] and host["CapDrop"] == ["CAP_MKNOD"]
        assert host["Sysctls"] == {"net.ipv4.ip_forward": "1"}
        assert host["Ulimits"] == [{"Name": "nofile", "Soft": 100, "Hard": 100}]
        assert host["SecurityOpt"] == ["no-new-privileges"] and host["Privileged"] is False
    finally:
        hullbox("rm", "-f", "secinspect")


def test_bad_input(hullbox: Hullbox, tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    bad_action = tmp_path / "action.json"
    bad_action.write_text(json.dumps({"defaultAction": "SCMP_ACT_MAYBE"}))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    cases = {
        ("--cap-add", "NOPE"): "--cap-add NOPE: unknown capability",
        ("--security-opt", f"seccomp={bad_json}"): "not valid JSON",
        ("--security-opt", f"seccomp={bad_action}"): "unknown seccomp action 'SCMP_ACT_MAYBE'",
        ("--security-opt", "seccomp=/nonexistent.json"): "cannot read the profile",
        ("--security-opt", "bogus"): "invalid --security-opt 'bogus'",
        ("--sysctl", "kernel.panic=1"): "--sysctl kernel.panic: not namespaced",
        ("--sysctl", "vm.swappiness=1"): "not namespaced",
        ("--device", "/dev/nonexistent"): "No such file or directory",
        ("--ulimit", "nofile=10:5"): "soft limit 10 is above the hard limit 5",
        ("--ulimit", "bogus=1"): "invalid --ulimit 'bogus=1'",
        ("--userns", "keep-id"): "invalid --userns 'keep-id': use --userns host, auto",
    }
    if hard != resource.RLIM_INFINITY:
        cases[("--ulimit", f"nofile={hard + 1}")] = f"can be at most {hard}"
    for flags, message in cases.items():
        assert message in _one_line_125(hullbox, "run", "--rm", *flags, "busybox", "true")
    assert "with --network host" in _one_line_125(
        hullbox, "run", "--rm", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1",
        "busybox", "true")


def test_info_names_seccomp(hullbox: Hullbox) -> None:
    assert "Security Options: name=seccomp,profile=builtin\n" in hullbox.ok("info")
