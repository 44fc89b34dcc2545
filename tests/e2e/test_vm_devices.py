"""A VM's devices as its guest sees them: the cloud-init seed disk.

One guest (Debian's cloud kernel, a busybox initramfs with the virtio
modules) boots for the module; the tests run in file order on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .vm_guest import READY, GuestConsole, guest_files, machine_store, wait_for_log

pytestmark = pytest.mark.slow

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /mnt
for module in $(cat /lib/modules/order); do insmod /lib/modules/$module.ko; done
echo {READY}
while true; do setsid cttyhack sh; done
"""
MODULES = ("virtio_pci", "virtio_blk", "isofs")
USER_DATA = """#cloud-config
hostname: seeded
runcmd:
  - echo seeded-by-hullbox
"""


@pytest.fixture(scope="module")
def vmbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from machine_store(tmp_path_factory)


@pytest.fixture(scope="module")
def console(vmbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuestConsole]:
    """The console of a running guest "dev1" made with --cloud-init."""
    files = tmp_path_factory.mktemp("guest")
    kernel, initrd = guest_files(files, INIT, MODULES)
    user_data = files / "user-data.yaml"
    user_data.write_text(USER_DATA)
    vmbox.ok("vm", "create", "dev1", "--memory", "256M", "--disk", "256M", "--kernel",
             str(kernel), "--initrd", str(initrd), "--append", "quiet",
             "--cloud-init", str(user_data))
    vmbox.ok("vm", "start", "dev1")
    machine_dir = vmbox.root / "machines" / _id(vmbox, "dev1")[:12]
    wait_for_log(machine_dir / "console.log", READY)
    guest = GuestConsole(machine_dir / "console.sock")
    yield guest
    guest.close()


def _id(vmbox: Hullbox, name: str) -> str:
    return vmbox.ok("vm", "inspect", "-f", "{{.Id}}", name).strip()


def test_cloud_init_seed_disk_in_the_guest(vmbox: Hullbox, console: GuestConsole) -> None:
    """The guest finds a disk labelled cidata holding the user-data as given
    and NoCloud meta-data naming this machine."""
    # busybox has no blkid for ISO 9660: read the volume label where blkid
    # does (the primary volume descriptor at 32 KiB, its name at byte 40)
    found = console.run("for d in /dev/vd?; do [ \"$(dd if=$d bs=1 skip=32808 count=6 "
                        "2>/dev/null)\" = cidata ] && echo label-on-$d; done")
    seeds = [word for word in found.split() if word.startswith("label-on-/dev/vd")]
    assert len(seeds) == 1, found
    device = seeds[0].removeprefix("label-on-")
    shown = console.run(f"mount -t iso9660 -o ro {device} /mnt && "
                        "cat /mnt/user-data /mnt/meta-data; umount /mnt")
    assert USER_DATA.replace("\n", "\r\n") in shown
    assert f"instance-id: {_id(vmbox, 'dev1')}" in shown
    assert "local-hostname: dev1" in shown
    inspected = json.loads(vmbox.ok("vm", "inspect", "dev1"))[0]["Config"]["CloudInit"]
    assert Path(inspected).name == "user-data.yaml"
