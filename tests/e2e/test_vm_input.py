"""Bad input to ``hullbox vm``: one line, exit 125, nothing left behind.
No guest boots here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .storecheck import release


@pytest.fixture
def vmbox(tmp_path: Path) -> Iterator[Hullbox]:
    if shutil.which("qemu-img") is None:
        pytest.skip("qemu-utils is not installed")
    store = Hullbox(tmp_path / "store")
    yield store
    left = release(store)  # a `network ls` made the default bridge, for one
    assert not left, f"the test's store left: {left}"


def _refused(vmbox: Hullbox, *args: str) -> str:
    result = vmbox(*args)
    assert result.returncode == 125, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hullbox: "), result.stderr
    return lines[0]


def _nothing_left(vmbox: Hullbox) -> None:
    assert vmbox.ok("vm", "ls", "-q") == ""
    machines = vmbox.root / "machines"
    left = {path.name for path in machines.iterdir()} if machines.exists() else set()
    assert left <= {"accel.json"}


def test_missing_files_and_bad_values(vmbox: Hullbox, tmp_path: Path) -> None:
    not_iso = tmp_path / "notes.iso"
    not_iso.write_bytes(b"not an iso" * 5000)
    not_disk = tmp_path / "disk.qcow2"  # qemu-img reads any file as raw; a missing one it can't
    not_user_data = tmp_path / "user-data.yaml"
    not_user_data.write_text("hostname: x\n")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("#cloud-config\nruncmd: [echo, hi\n")
    listed = tmp_path / "list.yaml"
    listed.write_text("#cloud-config\n- one\n")
    cases = {
        ("--image", str(not_disk)): f"--image {not_disk}: no such file",
        ("--iso", str(not_iso)): f"--iso {not_iso} is not an ISO 9660 image",
        ("--kernel", "/nonexistent/vmlinuz"): "--kernel /nonexistent/vmlinuz: no such file",
        ("--initrd", str(not_iso)): "--initrd and --append need --kernel",
        ("--memory", "lots"): "invalid --memory 'lots'",
        ("--disk", "0"): "invalid --disk '0'",
        ("-p", "22"): "invalid port forward '22'",
        ("--cloud-init", str(not_user_data)): (
            f"--cloud-init {not_user_data} is not cloud-init user-data: it must be a "
            "'#cloud-config' YAML document or a '#!' script (its first line is 'hostname: x')"),
        ("--cloud-init", str(bad_yaml)): f"--cloud-init {bad_yaml}: invalid YAML at line 3",
        ("--cloud-init", str(listed)): "must be a YAML mapping (key: value), not a list",
        ("--cloud-init", str(tmp_path / "none")): f"--cloud-init {tmp_path}/none: no such file",
    }
    for args, message in cases.items():
        assert message in _refused(vmbox, "vm", "create", "bad", *args)
    assert "invalid VM name" in _refused(vmbox, "vm", "create", "b@d")
    _nothing_left(vmbox)


def test_unknown_machine_and_name_in_use(vmbox: Hullbox) -> None:
    for verb in (["start"], ["stop"], ["rm"], ["inspect"], ["console"],
                 ["snapshot", "ls"]):
        line = _refused(vmbox, "vm", *verb, "ghost")
        assert line == 'hullbox: no such VM: "ghost"; list them with: hullbox vm ls'
    vmbox.ok("vm", "create", "one", "--disk", "64M")
    assert _refused(vmbox, "vm", "create", "one") == (
        'hullbox: the VM name "one" is already in use; remove that VM or choose another name')
    assert "is not running" in _refused(vmbox, "vm", "kill", "one")
    assert _refused(vmbox, "vm", "snapshot", "restore", "one", "nosuch") == (
        'hullbox: VM one has no snapshot "nosuch"; list them with: hullbox vm snapshot ls one')
    vmbox.ok("vm", "rm", "one")
    _nothing_left(vmbox)


def test_stopped_vm_disk_snapshots_and_modify(vmbox: Hullbox) -> None:
    """Snapshots of a stopped machine are of its disk (qemu-img), no RAM."""
    vmbox.ok("vm", "create", "s", "--disk", "64M")
    vmbox.ok("vm", "snapshot", "save", "s", "before")
    assert vmbox.ok("vm", "snapshot", "ls", "-f", "{{.Name}} {{.Kind}}", "s") == "before disk\n"
    assert "already has a snapshot" in _refused(vmbox, "vm", "snapshot", "save", "s", "before")
    vmbox.ok("vm", "snapshot", "restore", "s", "before")
    assert vmbox.ok("vm", "inspect", "-f", "{{.State.Status}}", "s") == "stopped\n"
    vmbox.ok("vm", "snapshot", "rm", "s", "before")
    assert vmbox.ok("vm", "snapshot", "ls", "-f", "{{.Name}}", "s") == ""
    vmbox.ok("vm", "modify", "s", "--memory", "1G", "--cpus", "2")
    assert vmbox.ok("vm", "ls", "-f", "{{.Cpus}} {{.Memory}} {{.Disk}}") == "2 1 GiB 64 MiB\n"
    vmbox.ok("vm", "rm", "s")
    _nothing_left(vmbox)


def _qemu_io(disk: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["qemu-io", "-f", "qcow2", "-c", command, str(disk)],
                          capture_output=True, text=True, check=False)


def _disk_of(vmbox: Hullbox, name: str) -> Path:
    machine_id = vmbox.ok("vm", "inspect", "-f", "{{.Id}}", name).strip()
    return vmbox.root / "machines" / machine_id[:12] / "disk.qcow2"


def test_clone_export_and_data_disks(vmbox: Hullbox, tmp_path: Path) -> None:
    """A clone sees the source's data as it was; later writes stay apart."""
    vmbox.ok("vm", "create", "src", "--disk", "16M")
    assert _qemu_io(_disk_of(vmbox, "src"), "write -P 0xab 0 64k").returncode == 0
    vmbox.ok("vm", "clone", "src", "copy")
    assert _qemu_io(_disk_of(vmbox, "src"), "write -P 0xcd 0 64k").returncode == 0
    assert _qemu_io(_disk_of(vmbox, "copy"), "read -P 0xab 0 64k").returncode == 0
    assert _qemu_io(_disk_of(vmbox, "src"), "read -P 0xcd 0 64k").returncode == 0
    bases = json.loads(vmbox.ok("vm", "inspect", "copy"))[0]["Config"]["Bases"]
    assert len(bases) == 1 and Path(bases[0]).is_file()

    exported = tmp_path / "copy.qcow2"
    vmbox.ok("vm", "export", "copy", str(exported))
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(exported)],
                                     capture_output=True, check=True).stdout)
    assert info["format"] == "qcow2" and "backing-filename" not in info
    assert _qemu_io(exported, "read -P 0xab 0 64k").returncode == 0

    extra = tmp_path / "extra.qcow2"
    vmbox.ok("vm", "disk", "create", str(extra), "8M")
    assert "already exists" in _refused(vmbox, "vm", "disk", "create", str(extra), "8M")
    vmbox.ok("vm", "disk", "attach", "src", str(extra))
    assert "already attached to VM src" in _refused(vmbox, "vm", "disk", "attach", "copy",
                                                    str(extra))
    vmbox.ok("vm", "disk", "detach", "src", str(extra))
    assert "is not attached" in _refused(vmbox, "vm", "disk", "detach", "src", str(extra))
    for index in range(8):
        vmbox.ok("vm", "disk", "create", str(tmp_path / f"d{index}.qcow2"), "1M")
        vmbox.ok("vm", "disk", "attach", "src", str(tmp_path / f"d{index}.qcow2"))
    assert _refused(vmbox, "vm", "disk", "attach", "src", str(extra)) == (
        "hullbox: VM src has 8 data disks, the most it takes; detach one first")

    # the shared base goes with the last machine on it
    vmbox.ok("vm", "rm", "src")
    assert Path(bases[0]).is_file()
    assert _qemu_io(_disk_of(vmbox, "copy"), "read -P 0xab 0 64k").returncode == 0
    vmbox.ok("vm", "rm", "copy")
    assert not Path(bases[0]).exists()
    assert vmbox.ok("vm", "ls", "-q") == ""


def test_cloud_init_seed_of_a_clone_is_its_own(vmbox: Hullbox, tmp_path: Path) -> None:
    """A clone keeps the user-data but gets its own instance-id and hostname,
    so cloud-init in it runs as on a new machine."""
    user_data = tmp_path / "user-data"
    user_data.write_text("#!/bin/sh\necho hello from a script\n")
    vmbox.ok("vm", "create", "web", "--disk", "16M", "--cloud-init", str(user_data))
    vmbox.ok("vm", "clone", "web", "web2")
    for name in ("web", "web2"):
        machine_id = vmbox.ok("vm", "inspect", "-f", "{{.Id}}", name).strip()
        seed = (vmbox.root / "machines" / machine_id[:12] / "seed.iso").read_bytes()
        assert seed[32808:32814] == b"cidata"  # the ISO 9660 volume label
        assert b"#!/bin/sh\necho hello from a script\n" in seed
        assert f"instance-id: {machine_id}\nlocal-hostname: {name}\n".encode() in seed
    vmbox.ok("vm", "rm", "web", "web2")
    _nothing_left(vmbox)


def test_network_of_a_vm_cannot_be_removed(vmbox: Hullbox) -> None:
    """A VM defined on a network keeps it, as a stopped container does (Docker
    refuses too); once the VM is gone the network goes."""
    if os.geteuid() != 0:
        pytest.skip("needs root: network create makes a bridge")
    vmbox.ok("network", "create", "keptnet")
    try:
        vmbox.ok("vm", "create", "onnet", "--disk", "16M", "--network", "keptnet")
        assert _refused(vmbox, "network", "rm", "keptnet") == (
            "hullbox: cannot remove network keptnet: VMs or containers use it (VM onnet); "
            "remove them or disconnect them first (hullbox network disconnect keptnet "
            "CONTAINER; hullbox vm rm VM)")
        assert "keptnet" not in vmbox.ok("network", "prune", "-f")
        assert "keptnet" in vmbox.ok("network", "ls", "--format", "{{.Name}}")
        vmbox.ok("vm", "rm", "onnet")
        vmbox.ok("network", "rm", "keptnet")
        assert "keptnet" not in vmbox.ok("network", "ls", "--format", "{{.Name}}")
    finally:
        vmbox("vm", "rm", "-f", "onnet")
        vmbox("network", "rm", "keptnet")
