"""microVM volumes as live shares (virtio-9p), as a user types them: what
the host writes while a ``-d`` microVM runs is seen in it, what it writes is
on the host at once (before it exits, and after it is killed), ``:ro``
holds, and a named volume is one directory for a microVM and a container."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hullbox.vm.kernel import guest_kernel_path
from hullbox.vm.micro.guest import EARLY_MODULES, NET_MODULES
from hullbox.vm.micro.shares import share_module_files

from .conftest import Hullbox

pytestmark = pytest.mark.slow

VM = ("--isolation", "vm")


@pytest.fixture(scope="module")
def vm(hullbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Hullbox:
    """The store, its microVM template with shares made by a first run."""
    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("QEMU is not installed (apt-get install qemu-system-x86)")
    if not guest_kernel_path().is_file():
        pytest.skip(f"no guest kernel at {guest_kernel_path()}; run scripts/fetch-guest-kernel.sh")
    if not share_module_files(guest_kernel_path()):
        pytest.skip("the guest kernel has no 9p modules; run scripts/build-guest-9p.sh")
    first = hullbox("run", "--rm", *VM, "-v", f"{tmp_path_factory.mktemp('prime')}:/p",
                    "busybox", "true", timeout=600)
    assert first.returncode == 0, first.stderr
    return hullbox


def _until(what: str, check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _running(vm: Hullbox, name: str) -> bool:
    return vm.ok("inspect", "-f", "{{.State.Running}}", name) == "true\n"


# the container's loop: prints each new content of /data/msg; on "two" it
# answers in /data/reply (1 MiB after the line, to see it whole on the host)
LOOP = ("last=; while true; do m=$(cat /data/msg); "
        "if [ \"$m\" != \"$last\" ]; then echo \"saw $m\"; last=$m; fi; "
        "if [ \"$m\" = two ] && [ ! -e /data/reply ]; then "
        "{ echo from-the-guest; head -c 1048576 /dev/zero; } > /data/reply.tmp && "
        "mv /data/reply.tmp /data/reply; echo replied; fi; usleep 100000; done")


def test_a_running_microvm_and_the_host_see_each_others_writes(vm: Hullbox,
                                                               tmp_path: Path) -> None:
    (tmp_path / "msg").write_text("one\n")
    vm.ok("run", "-d", "--name", "vm-live", *VM, "-v", f"{tmp_path}:/data", "busybox",
          "sh", "-c", LOOP, timeout=300)
    try:
        _until("the first line", lambda: "saw one" in vm.ok("logs", "vm-live"))
        (tmp_path / "msg").write_text("two\n")  # the host writes while it runs
        _until("the guest to see the host's write",
               lambda: "saw two" in vm.ok("logs", "vm-live"))
        _until("the guest's reply on the host", (tmp_path / "reply").exists)
        assert _running(vm, "vm-live")  # on the host before the container exits
        reply = tmp_path / "reply"
        assert reply.read_bytes().startswith(b"from-the-guest\n")
        assert reply.stat().st_size == len("from-the-guest\n") + (1 << 20)
        # root in the guest writes root's files, as runc's bind mounts do
        assert (reply.stat().st_uid, reply.stat().st_gid) == (0, 0)
        # a killed VM loses nothing: the writes were on the host already
        vm.ok("kill", "vm-live", timeout=60)
        assert reply.stat().st_size == len("from-the-guest\n") + (1 << 20)
        assert sorted(path.name for path in tmp_path.iterdir()) == ["msg", "reply"]
        assert not list(vm.root.glob("containers/*/vm-vol*"))  # no copies were made
    finally:
        vm.ok("rm", "-f", "vm-live", timeout=60)


def test_a_guest_user_writes_files_of_its_uid(vm: Hullbox, tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o1777)
    vm.ok("run", "--rm", *VM, "-u", "1000:1001", "-v", f"{tmp_path}:/data", "busybox",
          "sh", "-c", "mkdir /data/dir && echo x > /data/dir/file", timeout=300)
    made = tmp_path / "dir" / "file"
    assert made.read_text() == "x\n"
    assert (made.stat().st_uid, made.stat().st_gid) == (1000, 1001)


def test_a_read_only_share_refuses_writes_even_after_a_remount(vm: Hullbox,
                                                               tmp_path: Path) -> None:
    (tmp_path / "kept").write_text("as-it-was\n")
    script = ("cat /ro/kept; echo new > /ro/new || echo refused; "
              "mount -o remount,rw /ro && echo changed > /ro/kept || echo still-refused; "
              "rm /ro/kept || echo rm-refused")
    result = vm("run", "--rm", *VM, "-v", f"{tmp_path}:/ro:ro", "busybox", "sh", "-c",
                script, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "as-it-was\nrefused\nstill-refused\nrm-refused\n"
    assert "Read-only file system" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept"]
    assert (tmp_path / "kept").read_text() == "as-it-was\n"


def test_a_named_volume_is_one_directory_for_a_microvm_and_a_container(vm: Hullbox) -> None:
    vm.ok("volume", "create", "vm-shared")
    try:
        vm.ok("run", "-d", "--name", "vm-shared-ctr", "-v", "vm-shared:/data", "busybox",
              "sleep", "300")
        vm.ok("run", "-d", "--name", "vm-shared-vm", *VM, "-v", "vm-shared:/data", "busybox",
              "sh", "-c", "echo one > /data/msg; " + LOOP, timeout=300)
        _until("the microVM's first line", lambda: "saw one" in vm.ok("logs", "vm-shared-vm"))
        # the container reads what the running microVM wrote...
        assert vm.ok("exec", "vm-shared-ctr", "cat", "/data/msg") == "one\n"
        # ...and the microVM sees the container's write while both run
        vm.ok("exec", "vm-shared-ctr", "sh", "-c", "echo two > /data/msg")
        _until("the microVM to see the container's write",
               lambda: "replied" in vm.ok("logs", "vm-shared-vm"))
        assert vm.ok("exec", "vm-shared-ctr", "head", "-n", "1",
                     "/data/reply") == "from-the-guest\n"
        assert _running(vm, "vm-shared-vm") and _running(vm, "vm-shared-ctr")
    finally:
        vm.ok("rm", "-f", "vm-shared-vm", "vm-shared-ctr", timeout=60)
        vm.ok("volume", "rm", "vm-shared")


# a file volume's loop: prints each new first line of /etc/app.conf; on
# "two" it appends "reply" (to the same file the host has)
FILE_LOOP = ("last=; while true; do m=$(head -n 1 /etc/app.conf); "
             "if [ \"$m\" != \"$last\" ]; then echo \"saw $m\"; last=$m; fi; "
             "if [ \"$m\" = two ] && ! grep -q reply /etc/app.conf; then "
             "echo reply >> /etc/app.conf; echo replied; fi; usleep 100000; done")


def test_a_file_volume_is_the_host_file_live(vm: Hullbox, tmp_path: Path) -> None:
    """``-v FILE:...`` as with runc: the same file, written in place by both
    sides while the microVM runs."""
    conf = tmp_path / "app.conf"
    conf.write_text("one\n")
    vm.ok("run", "-d", "--name", "vm-file", *VM, "-v", f"{conf}:/etc/app.conf", "busybox",
          "sh", "-c", FILE_LOOP, timeout=300)
    try:
        _until("the first line", lambda: "saw one" in vm.ok("logs", "vm-file"))
        with conf.open("r+") as handle:  # in place, as `echo two > app.conf` does
            handle.truncate(0)
            handle.write("two\n")
        _until("the guest's reply in the host's file", lambda: "reply" in conf.read_text())
        assert conf.read_text() == "two\nreply\n"
        assert _running(vm, "vm-file")
        assert sorted(path.name for path in tmp_path.iterdir()) == ["app.conf"]
    finally:
        vm.ok("rm", "-f", "vm-file", timeout=60)
    assert not list(vm.root.glob("containers/*/vm-file*"))


def test_a_file_volume_on_another_file_system_is_copied_back(vm: Hullbox) -> None:
    """A file on another file system than the store cannot be linked: the
    guest works on a copy, written back into the host's file at exit."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == vm.root.stat().st_dev:
        pytest.skip("needs /dev/shm on a file system of its own")
    conf = shm / f"hullbox-vm-file-{os.getpid()}.conf"
    conf.write_text("from-the-host\n")
    try:
        out = vm.ok("run", "--rm", *VM, "-v", f"{conf}:/etc/app.conf", "-v",
                    f"{conf}:/etc/ro.conf:ro", "busybox", "sh", "-c",
                    "cat /etc/app.conf; echo from-the-guest >> /etc/app.conf; "
                    "echo no >> /etc/ro.conf || echo ro-refused", timeout=300)
        assert out == "from-the-host\nro-refused\n"
        assert conf.read_text() == "from-the-host\nfrom-the-guest\n"
    finally:
        conf.unlink()


def test_without_9p_modules_volumes_are_copied_back_at_exit(hullbox: Hullbox, vm: Hullbox,
                                                           tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """The fallback: a guest kernel with no 9p gets each volume as a disk
    made before boot and copied back when the microVM exits."""
    kernel = guest_kernel_path().resolve()
    version = kernel.name.removeprefix("vmlinuz-")
    modules = kernel.parent / "lib" / "modules" / version
    plain = tmp_path / "kernel"
    (plain / "lib" / "modules" / version).mkdir(parents=True)
    shutil.copy(kernel, plain / kernel.name)  # a kernel of its own: resolve() stays here
    for module in modules.rglob("*.ko"):  # the modules the microVM loads, but no 9p
        if module.stem in (*EARLY_MODULES, *NET_MODULES):
            (plain / "lib" / "modules" / version / module.name).symlink_to(module)
    monkeypatch.setenv("HULLBOX_GUEST_KERNEL", str(plain / kernel.name))
    data = tmp_path / "data"
    data.mkdir()
    (data / "old").write_text("from-the-host\n")
    out = hullbox.ok("run", "--rm", *VM, "-v", f"{data}:/data", "busybox", "sh", "-c",
                     "cat /data/old; grep ' /data ' /proc/mounts | cut -d' ' -f3; "
                     "echo new > /data/new", timeout=600)
    assert out == "from-the-host\next4\n"
    assert (data / "new").read_text() == "new\n"
