"""Security flags -> settings -> config.json, without running anything."""

from __future__ import annotations

import json
import platform
import resource
from pathlib import Path
from typing import Any

import pytest

from hullbox.engine.seccomp_profile import default_profile, to_spec_seccomp
from hullbox.engine.security import apply_security, container_capabilities
from hullbox.engine.settings.security import SecuritySettings
from hullbox.errors import InvalidArgument
from hullbox.oci.runtime_spec import DOCKER_CAPABILITIES, default_spec
from hullbox.runtime.seccomp import compile_seccomp


def _spec(**flags: Any) -> dict[str, Any]:
    spec = default_spec(["true"])
    apply_security(spec, SecuritySettings.parse(**flags))
    return spec


def _named(seccomp: dict[str, Any]) -> set[str]:
    return {n for rule in seccomp["syscalls"] for n in rule["names"]}


def test_capability_rules() -> None:
    def caps(**flags: Any) -> list[str]:
        return container_capabilities(SecuritySettings.parse(**flags))

    assert caps() == list(DOCKER_CAPABILITIES)
    assert caps(cap_drop=("all",), cap_add=("net_bind_service",)) == ["CAP_NET_BIND_SERVICE"]
    assert "CAP_CHOWN" not in caps(cap_drop=("CHOWN",))
    assert caps(cap_add=("CAP_NET_ADMIN",))[-1] == "CAP_NET_ADMIN"
    everything = caps(cap_add=("ALL",), cap_drop=("SYS_ADMIN",))
    assert "CAP_SYS_ADMIN" not in everything and "CAP_SYS_MODULE" in everything
    with pytest.raises(InvalidArgument, match="--cap-add CAP_NOPE: unknown capability"):
        caps(cap_add=("CAP_NOPE",))


def test_default_spec_gets_caps_and_the_default_profile() -> None:
    spec = _spec()
    assert spec["process"]["capabilities"]["bounding"] == list(DOCKER_CAPABILITIES)
    seccomp = spec["linux"]["seccomp"]
    assert seccomp["defaultAction"] == "SCMP_ACT_ALLOW"
    for name in ("mount", "kexec_load", "init_module", "keyctl", "bpf", "unshare", "reboot"):
        assert name in _named(seccomp)
    if platform.machine() == "x86_64":
        assert seccomp["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                                            "SCMP_ARCH_X32"]
    assert compile_seccomp(seccomp)  # libseccomp accepts what we write


def test_capabilities_lift_their_seccomp_rules() -> None:
    denied = _named(_spec(cap_add=("SYS_ADMIN", "SYS_BOOT"))["linux"]["seccomp"])
    assert not {"mount", "unshare", "reboot", "clone3"} & denied
    assert {"kexec_load", "init_module", "keyctl"} <= denied


def test_privileged_and_unconfined() -> None:
    spec = _spec(privileged=True)
    assert "seccomp" not in spec["linux"]
    assert spec["linux"]["maskedPaths"] == [] and spec["linux"]["readonlyPaths"] == []
    assert spec["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    sys_mount = next(m for m in spec["mounts"] if m["destination"] == "/sys")
    assert "ro" not in sys_mount["options"]
    assert "seccomp" not in _spec(security_opt=("seccomp=unconfined",))["linux"]
    paths = _spec(security_opt=("systempaths=unconfined",))
    assert paths["linux"]["maskedPaths"] == [] and "seccomp" in paths["linux"]


def test_no_new_privileges_spellings() -> None:
    for opt, expected in (("no-new-privileges", True), ("no-new-privileges=true", True),
                          ("no-new-privileges:true", True), ("no-new-privileges=false", False)):
        assert _spec(security_opt=(opt,))["process"]["noNewPrivileges"] is expected
    with pytest.raises(InvalidArgument, match="no-new-privileges=true|false"):
        SecuritySettings.parse(security_opt=("no-new-privileges=maybe",))


def test_user_profile_is_stored_and_used(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                      "includes": {"caps": ["CAP_SYS_ADMIN"]}},
                     {"names": ["write"], "action": "SCMP_ACT_ALLOW"}]}))
    settings = SecuritySettings.parse(security_opt=(f"seccomp={path}",))
    path.unlink()  # kept with the container: start does not need the file
    spec = default_spec(["true"])
    apply_security(spec, settings)
    seccomp = spec["linux"]["seccomp"]
    assert seccomp["defaultAction"] == "SCMP_ACT_ERRNO" and _named(seccomp) == {"write"}


def test_profile_errors_are_one_line(tmp_path: Path) -> None:
    cases = {
        "[1, 2]": "not a seccomp profile",
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]}':
            "a rule has no 'action'",
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], '
        '"action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]}':
            "argument index 9",
        '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}':
            "unknown seccomp architecture",
    }
    for text, message in cases.items():
        path = tmp_path / "p.json"
        path.write_text(text)
        with pytest.raises(InvalidArgument, match=message) as info:
            SecuritySettings.parse(security_opt=(f"seccomp={path}",))
        assert "\n" not in str(info.value)


def test_devices() -> None:
    spec = _spec(devices=("/dev/null:/dev/mynull:rw",))
    assert spec["linux"]["devices"] == [{"path": "/dev/mynull", "type": "c", "major": 1,
                                         "minor": 3, "fileMode": 0o666, "uid": 0, "gid": 0}]
    assert spec["linux"]["resources"]["devices"][-1] == {
        "allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"}
    parsed = SecuritySettings.parse(devices=("/dev/null:r",)).devices
    assert parsed == [{"host": "/dev/null", "container": "/dev/null", "permissions": "r"}]
    for bad, message in (("/etc/passwd", "not a device node"),
                         ("/dev/null:relative", "must be absolute"),
                         ("/dev/null:/dev/x:rwx", "must be absolute"),
                         ("/nope", "No such file")):
        with pytest.raises(InvalidArgument, match=message):
            SecuritySettings.parse(devices=(bad,))


def test_sysctls() -> None:
    spec = _spec(sysctls=("net.ipv4.ip_forward=1", "kernel.msgmax=100", "fs.mqueue.msg_max=9"))
    assert spec["linux"]["sysctl"] == {"net.ipv4.ip_forward": "1", "kernel.msgmax": "100",
                                       "fs.mqueue.msg_max": "9"}
    for bad in ("kernel.panic=1", "vm.overcommit_memory=1", "kernel.hostname=x"):
        with pytest.raises(InvalidArgument, match="not namespaced"):
            SecuritySettings.parse(sysctls=(bad,))
    with pytest.raises(InvalidArgument, match="--network host"):
        SecuritySettings.parse(sysctls=("net.ipv4.ip_forward=1",), host_network=True)
    with pytest.raises(InvalidArgument, match="NAME=VALUE"):
        SecuritySettings.parse(sysctls=("net.ipv4.ip_forward",))


def test_ulimits() -> None:
    spec = _spec(ulimits=("nofile=100:200", "core=-1"))
    assert spec["process"]["rlimits"] == [
        {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
        {"type": "RLIMIT_CORE", "soft": 2**64 - 1, "hard": 2**64 - 1}]
    with pytest.raises(InvalidArgument, match="soft limit 3 is above the hard limit 2"):
        SecuritySettings.parse(ulimits=("nofile=3:2",))
    with pytest.raises(InvalidArgument, match="whole numbers"):
        SecuritySettings.parse(ulimits=("nofile=lots",))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY:
        with pytest.raises(InvalidArgument, match=f"can be at most {hard}"):
            SecuritySettings.parse(ulimits=(f"nofile={hard + 1}",))


def test_settings_round_trip_json() -> None:
    settings = SecuritySettings.parse(cap_add=("NET_ADMIN",), sysctls=("kernel.sem=1 2 3 4",),
                                      ulimits=("nproc=50",),
                                      security_opt=("no-new-privileges",))
    assert SecuritySettings.from_json(json.loads(json.dumps(settings.to_json()))) == settings


def test_default_profile_is_docker_format() -> None:
    profile = default_profile()
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    assert all(rule["action"].startswith("SCMP_ACT_") for rule in profile["syscalls"])
    assert to_spec_seccomp(profile, [])["syscalls"]


def test_userns_modes() -> None:
    assert SecuritySettings.parse(userns="host").userns == "host"
    assert SecuritySettings.parse(userns="auto").userns == "auto"
    assert SecuritySettings.parse(userns="auto:size=1024").userns == "auto:size=1024"
    for mode in ("keep-id", "nonsense", "auto:size=x", "auto:bogus"):
        with pytest.raises(InvalidArgument, match="--userns"):
            SecuritySettings.parse(userns=mode)


def test_uidmap_gidmap() -> None:
    settings = SecuritySettings.parse(uidmap=("0:200000:1000", "1000:300000:10"))
    assert settings.uidmap == [[0, 200000, 1000], [1000, 300000, 10]]
    assert settings.gidmap == settings.uidmap  # Podman: gids follow the uids when not given
    settings = SecuritySettings.parse(uidmap=("0:200000:1000",), gidmap=("0:400000:1000",))
    assert settings.gidmap == [[0, 400000, 1000]]
    for bad in ("0:1", "a:b:c", "0:100:0", "-1:100:5"):
        with pytest.raises(InvalidArgument, match="--uidmap"):
            SecuritySettings.parse(uidmap=(bad,))
    with pytest.raises(InvalidArgument, match="CONTAINER_ID 0"):
        SecuritySettings.parse(uidmap=("1:200000:1000",))
    with pytest.raises(InvalidArgument, match="conflict"):
        SecuritySettings.parse(userns="auto", uidmap=("0:200000:1000",))
    with pytest.raises(InvalidArgument, match="conflict"):
        SecuritySettings.parse(userns="auto", privileged=True)
