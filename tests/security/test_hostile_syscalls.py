"""Attacks through system calls, from a default container: each is refused with
EPERM, and the seccomp profile (not only a missing capability) is what refuses
the ones an unprivileged process could otherwise make."""

from __future__ import annotations

import socket
import subprocess

import pytest

from .conftest import Hullbox, Isolation

pytestmark = pytest.mark.root

REFUSED = [
    "kexec_load", "init_module", "finit_module", "delete_module",  # the kernel itself
    "mount", "umount", "pivot_root", "swapon", "reboot", "iopl", "clock_settime",
    "keyctl", "add_key",  # keyrings are not namespaced
    "bpf", "perf_event_open", "open_by_handle_at", "userfaultfd",
    "unshare_user", "clone_newuser",  # a user namespace would give back every capability
    "io_uring_setup",
]
#: refused by the profile alone: a plain process may make these when unconfined
SECCOMP_ONLY = ["keyctl", "add_key", "unshare_user", "clone_newuser", "io_uring_setup"]


def _probe(hullbox: Hullbox, image: str, *args: str) -> tuple[int, str]:
    result = hullbox("run", "--rm", *args[:-1], image, "probe", args[-1])
    return result.returncode, result.stdout


@pytest.mark.parametrize("call", REFUSED)
def test_refused_in_a_default_container(call: str, hullbox: Hullbox, probe_image: str,
                                        isolation: Isolation) -> None:
    """Also with --userns auto (the isolation fixture): its root has every
    capability in its own user namespace, and still none of these."""
    assert _probe(hullbox, probe_image, *isolation, call) == \
        (1, f"{call}: Operation not permitted\n")


@pytest.mark.parametrize("call", SECCOMP_ONLY)
def test_the_profile_is_what_refuses(call: str, hullbox: Hullbox, probe_image: str) -> None:
    code, out = _probe(hullbox, probe_image, "--security-opt", "seccomp=unconfined", call)
    assert (code, out) == (0, f"{call}: ok\n")


def test_host_abstract_socket_unreachable_with_network_none(hullbox: Hullbox,
                                                            probe_image: str) -> None:
    name = f"hullbox-hostile-{id(hullbox)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind("\0" + name)
        listener.listen(1)
        # abstract sockets belong to the network namespace: only --network host sees it
        host = hullbox("run", "--rm", "--network", "host", probe_image, "probe",
                       "connect_abstract", name)
        assert (host.returncode, host.stdout) == (0, "connect_abstract: ok\n")
        # the container's own namespace has no such socket
        result = hullbox("run", "--rm", "--network", "none", probe_image, "probe",
                         "connect_abstract", name)
        assert (result.returncode, result.stdout) == (1, "connect_abstract: Connection refused\n")


def test_setuid_binary_gains_nothing_with_no_new_privileges(hullbox: Hullbox,
                                                           probe_image: str) -> None:
    # without the option the setuid bit works (so this test can fail)...
    plain = hullbox("run", "--rm", "--user", "1000", probe_image, "suid-probe", "euid")
    assert plain.stdout == "euid: 0\n"
    # ...with it, exec grants nothing
    nnp = hullbox("run", "--rm", "--user", "1000", "--security-opt", "no-new-privileges",
                  probe_image, "suid-probe", "euid")
    assert nnp.stdout == "euid: 1000\n"


def test_ptrace_reaches_only_the_containers_own_processes(hullbox: Hullbox, probe_image: str,
                                                          isolation: Isolation) -> None:
    # its own child can be traced (so this test can fail)...
    own = hullbox("run", "--rm", *isolation, probe_image, "sh", "-c",
                  "sleep 30 & probe ptrace_attach $!; kill $!")
    assert own.stdout == "ptrace_attach: ok\n", own.stderr
    # ...a host process cannot: its pid names nothing in the container's namespace
    with subprocess.Popen(["sleep", "60"]) as victim:
        try:
            attack = hullbox("run", "--rm", *isolation, probe_image, "probe", "ptrace_attach",
                             str(victim.pid))
            assert (attack.returncode, attack.stdout) == (1, "ptrace_attach: No such process\n")
            assert victim.poll() is None  # untouched, still running
        finally:
            victim.kill()
