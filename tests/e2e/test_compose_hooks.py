"""``post_start`` and ``pre_stop`` hooks, ``runtime`` and ``isolation`` of a
service, as a user writes them in compose.yaml."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

HOOKS = """
services:
  web:
    image: busybox
    command: sh -c 'grep CapEff /proc/self/status > /out/main-caps; exec sleep 300'
    volumes: ["./out:/out"]
    stop_signal: SIGKILL
    post_start:
      - command: sh -c 'id -u > /out/user; pwd > /out/pwd; echo "$$GREETING" > /out/env'
        user: nobody
        working_dir: /tmp
        environment: {GREETING: hello from the hook}
      - command: ["sh", "-c", "grep CapEff /proc/self/status > /out/hook-caps"]
        privileged: true
    pre_stop:
      - command: sh -c 'echo stopping > /out/pre-stop'
"""


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", directory.name, *args],
                          cwd=directory, capture_output=True, text=True, timeout=300,
                          env=hullbox.env(), check=False)


def _names(hullbox: Hullbox, project: str) -> list[str]:
    return hullbox.ok("ps", "-a", "--filter", f"label=com.docker.compose.project={project}",
                      "--format", "{{.Names}}").split()


def test_hooks_run_in_the_container_as_asked(hullbox: Hullbox, tmp_path: Path) -> None:
    directory = tmp_path / "thooks"
    (directory / "out").mkdir(parents=True)
    (directory / "out").chmod(0o777)  # the first hook writes as nobody
    (directory / "compose.yaml").write_text(HOOKS)
    out = directory / "out"
    try:
        up = _compose(hullbox, directory, "up", "-d")
        assert up.returncode == 0, up.stderr
        # the post_start hooks ran once up returned, with their user, dir and env
        assert (out / "user").read_text() == "65534\n"
        assert (out / "pwd").read_text() == "/tmp\n"
        assert (out / "env").read_text() == "hello from the hook\n"
        # privileged: more capabilities than the container's own process has
        main = int((out / "main-caps").read_text().split()[1], 16)
        hook = int((out / "hook-caps").read_text().split()[1], 16)
        assert hook & main == main and hook != main
        assert not (out / "pre-stop").exists()
        stop = _compose(hullbox, directory, "stop")
        assert stop.returncode == 0, stop.stderr
        assert (out / "pre-stop").read_text() == "stopping\n"
        # start runs post_start again; down runs pre_stop again
        (out / "user").unlink()
        (out / "pre-stop").unlink()
        assert _compose(hullbox, directory, "start").returncode == 0
        assert (out / "user").read_text() == "65534\n"
        (out / "user").unlink()  # start leaves a running container (and its hooks) alone
        assert _compose(hullbox, directory, "start").returncode == 0
        assert not (out / "user").exists()
        down = _compose(hullbox, directory, "down")
        assert down.returncode == 0, down.stderr
        assert (out / "pre-stop").read_text() == "stopping\n"
    finally:
        _compose(hullbox, directory, "down", "-t", "0")


def test_a_failing_post_start_hook_fails_up_with_its_output(hullbox: Hullbox,
                                                            tmp_path: Path) -> None:
    directory = tmp_path / "tbadhook"
    directory.mkdir()
    (directory / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox\n    command: sleep 300\n"
        "    stop_signal: SIGKILL\n"
        "    post_start: [{command: \"sh -c 'echo no config here >&2; exit 3'\"}]\n")
    try:
        up = _compose(hullbox, directory, "up", "-d")
        assert up.returncode == 125
        assert up.stderr.splitlines()[-1] == \
            "hullbox: web hook exited with status 3: no config here"
    finally:
        _compose(hullbox, directory, "down", "-t", "0")


def test_runtime_picks_the_oci_runtime(hullbox: Hullbox, tmp_path: Path) -> None:
    directory = tmp_path / "truntime"
    directory.mkdir()
    (directory / "compose.yaml").write_text(
        "services:\n  web: {image: busybox, command: sleep 300, stop_signal: SIGKILL,"
        " runtime: bogus}\n")
    bad = _compose(hullbox, directory, "up", "-d")
    assert bad.returncode == 125
    assert bad.stderr == ("hullbox: service 'web': runtime 'bogus' is unknown; use one of "
                          "hullbox, runc, crun\n")
    assert _names(hullbox, "truntime") == []
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed (apt-get install runc)")
    (directory / "compose.yaml").write_text(
        "services:\n  web: {image: busybox, command: sh -c 'echo by runc; exec sleep 300',"
        " stop_signal: SIGKILL, runtime: runc}\n")
    try:
        up = _compose(hullbox, directory, "up", "-d")
        assert up.returncode == 0, up.stderr
        info = json.loads(hullbox.ok("inspect", "truntime-web-1"))[0]
        assert info["HostConfig"]["Runtime"] == "runc"
        assert info["State"]["Running"] is True
        assert _compose(hullbox, directory, "logs", "web").stdout == "web-1  | by runc\n"
    finally:
        _compose(hullbox, directory, "down", "-t", "0")


def test_isolation_other_than_process_or_vm_is_one_line(hullbox: Hullbox,
                                                        tmp_path: Path) -> None:
    directory = tmp_path / "tisolation"
    directory.mkdir()
    (directory / "compose.yaml").write_text(
        "services:\n  web: {image: busybox, command: sleep 300, isolation: hyperv}\n")
    bad = _compose(hullbox, directory, "up", "-d")
    assert bad.returncode == 125
    assert bad.stderr == ("hullbox: service 'web': invalid --isolation 'hyperv': use "
                          "process or vm\n")
    assert _names(hullbox, "tisolation") == []


@pytest.mark.slow
def test_isolation_vm_runs_the_service_on_the_guest_kernel(hullbox: Hullbox,
                                                           tmp_path: Path) -> None:
    from hullbox.vm.kernel import guest_kernel_path

    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("QEMU is not installed (apt-get install qemu-system-x86)")
    if not guest_kernel_path().is_file():
        pytest.skip(f"no guest kernel at {guest_kernel_path()}; run "
                    "scripts/fetch-guest-kernel.sh")
    directory = tmp_path / "tvmiso"
    directory.mkdir()
    (directory / "compose.yaml").write_text(
        "services:\n  guest: {image: busybox, isolation: vm, network_mode: none}\n")
    try:
        run = _compose(hullbox, directory, "run", "--rm", "guest", "uname", "-r")
        assert run.returncode == 0, run.stderr
        assert run.stdout == guest_kernel_path().resolve().name.removeprefix("vmlinuz-") + "\n"
    finally:
        _compose(hullbox, directory, "down", "-t", "0")
