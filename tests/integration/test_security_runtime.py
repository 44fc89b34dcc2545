"""Capabilities, no_new_privs and seccomp from config.json, checked from inside the
container, and side by side with runc on the same bundle."""
# ruff: noqa: F811  (pytest fixtures imported from runtime_fixtures)

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from runtime_fixtures import REPO, MakeBundle, busybox_rootfs, make_bundle, runc  # noqa: F401

pytestmark = pytest.mark.root

HULLBOX_RUNTIME = [sys.executable, "-c", "import sys; from hullbox.runtime.cli import main; "
                   "main(sys.argv[1:])"]
STATUS = "grep -E '^(Cap|Seccomp:|NoNewPrivs)' /proc/self/status"
DENY_MKDIR = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
}


def _run(cmd: list[str], bundle: Path) -> tuple[int, str, str]:
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, cwd=bundle,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")}, timeout=30)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def _hullbox(bundle: Path, root: Path) -> tuple[int, str, str]:
    return _run([*HULLBOX_RUNTIME, "--root", str(root), "run", "sec1"], bundle)


def _seccomp(config: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def edit(spec: dict[str, Any]) -> None:
        spec["linux"]["seccomp"] = config
    return edit


def _caps(**sets: list[str]) -> Callable[[dict[str, Any]], None]:
    def edit(spec: dict[str, Any]) -> None:
        spec["process"]["capabilities"] = sets
        spec["process"]["user"] = {"uid": 1000, "gid": 1000}
    return edit


def _nnp(spec: dict[str, Any]) -> None:
    spec["process"]["noNewPrivileges"] = True
    spec["linux"]["seccomp"] = DENY_MKDIR


CASES: dict[str, tuple[str, Callable[[dict[str, Any]], None] | None]] = {
    "no filter": (STATUS, None),
    "filter denies mkdir": (f"{STATUS}; mkdir /made && rmdir /made; echo $?", _seccomp(DENY_MKDIR)),
    "filter and no_new_privs": (f"{STATUS}; mkdir /made && rmdir /made; echo $?", _nnp),
    "errnoRet": ("mkdir /made && rmdir /made", _seccomp({**DENY_MKDIR, "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})),
    "argument filter": ("touch /f; chmod 777 /f; echo $?; chmod 700 /f; echo $?",
                        _seccomp({**DENY_MKDIR, "syscalls": [{
                            "names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO",
                            "args": [{"index": 1, "value": 0o777, "op": "SCMP_CMP_EQ"}]}]})),
    # uid 1000 with all five sets given: what the kernel leaves after exec
    "five sets, non-root": (STATUS, _caps(
        bounding=["CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_KILL"],
        effective=["CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        permitted=["CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        inheritable=["CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        ambient=["CAP_NET_BIND_SERVICE"])),
    # runc warns about an ambient cap that is not inheritable and goes on
    "ambient not inheritable": (STATUS, _caps(
        bounding=["CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        effective=["CAP_NET_BIND_SERVICE"], permitted=["CAP_NET_BIND_SERVICE"],
        inheritable=[], ambient=["CAP_NET_BIND_SERVICE", "CAP_CHOWN"])),
}


@pytest.mark.parametrize("case", list(CASES))
def test_same_as_runc(case: str, make_bundle: MakeBundle, runc: str, tmp_path: Path) -> None:
    probe, edit = CASES[case]
    bundle = make_bundle(["sh", "-c", probe], edit=edit, cgroupns=False)
    runc_code, runc_out, runc_err = _run([runc, "--root", str(tmp_path / "runc"), "run", "p1"],
                                  bundle)
    ours_code, ours_out, ours_err = _hullbox(bundle, tmp_path / "hb")
    assert (ours_code, ours_out, ours_err) == (runc_code, runc_out, runc_err)


def test_filter_is_on_and_refuses(make_bundle: MakeBundle, tmp_path: Path) -> None:
    bundle = make_bundle(["sh", "-c", "grep Seccomp: /proc/self/status; mkdir /made"],
                         edit=_seccomp(DENY_MKDIR))
    code, out, err = _hullbox(bundle, tmp_path / "hb")
    assert out.split()[:2] == ["Seccomp:", "2"]
    assert code == 1 and "Operation not permitted" in err


def test_ambient_raised_for_non_root(make_bundle: MakeBundle, tmp_path: Path) -> None:
    bundle = make_bundle(["sh", "-c", "grep -E '^Cap(Eff|Amb)' /proc/self/status"],
                         edit=_caps(bounding=["CAP_NET_BIND_SERVICE"],
                                    effective=["CAP_NET_BIND_SERVICE"],
                                    permitted=["CAP_NET_BIND_SERVICE"],
                                    inheritable=["CAP_NET_BIND_SERVICE"],
                                    ambient=["CAP_NET_BIND_SERVICE"]))
    code, out, err = _hullbox(bundle, tmp_path / "hb")
    assert code == 0, err
    assert out.split() == ["CapEff:", "0000000000000400", "CapAmb:", "0000000000000400"]


def test_malformed_filter_is_one_line(make_bundle: MakeBundle, tmp_path: Path) -> None:
    bundle = make_bundle(["true"], edit=_seccomp({"defaultAction": "SCMP_ACT_SOMETIMES"}))
    code, _, err = _hullbox(bundle, tmp_path / "hb")
    assert code != 0
    assert "seccomp: unknown seccomp action 'SCMP_ACT_SOMETIMES'" in err
    assert not list((tmp_path / "hb").glob("*/state.json"))


@pytest.mark.parametrize("nnp", [False, True])
def test_exec_gets_the_containers_filter(nnp: bool, make_bundle: MakeBundle, runc: str,
                                         tmp_path: Path) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["linux"]["seccomp"] = DENY_MKDIR
        spec["process"]["noNewPrivileges"] = nnp

    bundle = make_bundle(["sleep", "60"], edit=edit, cgroupns=False)
    probe = f"{STATUS}; mkdir /execmade && rmdir /execmade; echo $?"
    answers = {}
    for name, cmd in (("runc", [runc]), ("hb", HULLBOX_RUNTIME)):
        root = str(tmp_path / name)
        detached = subprocess.run([*cmd, "--root", root, "run", "-d", "x1"], cwd=bundle,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=30,
                                  env={**os.environ, "PYTHONPATH": str(REPO / "src")})
        assert detached.returncode == 0
        try:
            answers[name] = _run([*cmd, "--root", root, "exec", "x1", "sh", "-c", probe],
                                 bundle)
        finally:
            _run([*cmd, "--root", root, "delete", "--force", "x1"], bundle)
    assert answers["hb"] == answers["runc"]
    code, out, _ = answers["hb"]
    assert "Seccomp:\t2" in out and out.endswith("\n1\n")
    assert f"NoNewPrivs:\t{int(nnp)}" in out
