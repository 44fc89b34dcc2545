"""A real distribution guest as a user runs one: a Debian 12 disk made like
the genericcloud image (debian_image.py), created with a cloud-init
user-data file, started with a port forward, reached with the real ssh
client, and stopped with the ACPI power button.

That cloud-init in the guest made the user with the test's key and wrote the
marker proves it read hullbox's NoCloud seed; ssh through 127.0.0.1:PORT
proves the forward; "Power down" on the console proves systemd took the
ACPI button. The disk is made once per session, in the background from
the session's start (a minute or more, see debian_image.py); the boot under
TCG takes two or three more."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .debian_image import DiskInBackground
from .vm_guest import machine_store, wait_for_log

pytestmark = pytest.mark.slow

_BOOT_TIMEOUT = 1800.0  # systemd and cloud-init's four stages, emulated


@pytest.fixture(scope="session")
def debian_qcow2(debian_disk_build: DiskInBackground | None) -> Path:
    """The disk whose build conftest.py started with the session."""
    assert debian_disk_build is not None, "conftest starts the build for every test using this"
    return debian_disk_build.disk()


@pytest.fixture(scope="module")
def vmbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from machine_store(tmp_path_factory)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _user_data(directory: Path) -> tuple[Path, Path]:
    """(user-data.yaml, private key): a user with the key, a marker file."""
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("openssh-client is not installed")
    key = directory / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hullbox-test",
                    "-f", str(key)], check=True)
    public = key.with_suffix(".pub").read_text().strip()
    user_data = directory / "user-data.yaml"
    user_data.write_text(f"""#cloud-config
users:
  - name: tester
    shell: /bin/bash
    ssh_authorized_keys:
      - {public}
write_files:
  - path: /marker
    content: |
      written by write_files
runcmd:
  - [sh, -c, "echo written by runcmd >> /marker"]
""")
    return user_data, key


def _ssh(port: int, key: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-p", str(port), "-i", str(key), "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", "tester@127.0.0.1", command],
        capture_output=True, text=True, timeout=120, check=False)


def _wait_for_ssh(port: int, key: Path, command: str, wanted: str, console: Path) -> str:
    """``command``'s output once it holds ``wanted`` (sshd comes up before
    cloud-init's last stage has run the runcmd)."""
    deadline = time.monotonic() + _BOOT_TIMEOUT
    last: subprocess.CompletedProcess[str] | None = None
    while time.monotonic() < deadline:
        try:
            last = _ssh(port, key, command)
        except subprocess.TimeoutExpired:
            continue
        if last.returncode == 0 and wanted in last.stdout:
            return last.stdout
        time.sleep(3)
    tail = console.read_text(errors="replace")[-3000:]
    raise AssertionError(f"ssh {command!r} never gave {wanted!r}: {last}\nconsole:\n{tail}")


def test_debian_cloud_image_with_cloud_init_ssh_and_acpi_stop(
        vmbox: Hullbox, debian_qcow2: Path, tmp_path: Path) -> None:
    user_data, key = _user_data(tmp_path)
    disk = tmp_path / "disk.qcow2"
    shutil.copyfile(debian_qcow2, disk)
    # two vCPUs: QEMU emulates each in a thread of its own (multi-threaded
    # TCG), so systemd's parallel units and cloud-init share the host's cores
    vmbox.ok("vm", "create", "deb", "--cpus", "2", "--memory", "1G", "--image", str(disk),
             "--cloud-init", str(user_data), timeout=300)
    port = _free_port()
    vmbox.ok("vm", "start", "deb", "-p", f"{port}:22")
    machine_id = vmbox.ok("vm", "inspect", "-f", "{{.Id}}", "deb").strip()
    console = vmbox.root / "machines" / machine_id[:12] / "console.log"

    marker = _wait_for_ssh(port, key, "cat /marker", "written by runcmd", console)
    assert marker == "written by write_files\nwritten by runcmd\n"
    # meta-data's local-hostname is the VM's name; the user is cloud-init's
    assert _ssh(port, key, "hostname; id -un").stdout == "deb\ntester\n"
    # every module of every stage ran without an error
    assert "status: done" in _ssh(port, key, "cloud-init status --wait").stdout

    vmbox.ok("vm", "stop", "--time", "600", "deb", timeout=660)
    assert vmbox.ok("vm", "ls", "--format", "{{.Name}} {{.State}}") == "deb stopped\n"
    # systemd shut down by itself on the ACPI button: not forced after the timeout
    wait_for_log(console, "reboot: Power down", timeout=1)
    assert vmbox.ok("vm", "inspect", "-f", "{{.State.Error}}", "deb") == "\n"
