"""The pure parts of ``--isolation vm``: flags, the guest script, QEMU's
command line, the end-of-output marker."""

from __future__ import annotations

import shlex
import struct
from dataclasses import replace
from pathlib import Path

import pytest

from hullbox.engine.options import ContainerOptions
from hullbox.errors import InvalidArgument
from hullbox.vm.micro.guest import module_depends, mount_image_script
from hullbox.vm.micro.machine import GuestSpec, qemu_argv
from hullbox.vm.micro.relay import StreamEnd
from hullbox.vm.micro.script import GuestCommand, GuestNet, end_marker, render
from hullbox.vm.micro.warm import resolve_in_root, warm_files

SPEC = GuestSpec(kernel="/k/vmlinuz", initrd="/t/initrd.gz", memory_mib=256, cpus=1,
                 accel="tcg", tsc_khz=2000000, ram_file="/t/ram", state_file="/t/state",
                 console_log="/c/console.log")
PORTS = {"ctl": 10, "sig": 11, "in": 12, "out": 13, "err": 14, "tty": 16}


def test_isolation_vm_takes_memory_and_cpus_for_the_guest() -> None:
    options = ContainerOptions.parse(isolation_kind="vm", memory="512m", cpus="1.5")
    assert (options.isolation.vm, options.isolation.vm_memory_mib,
            options.isolation.vm_cpus) == (True, 512, 2)
    assert ContainerOptions.parse().isolation.kind == "process"
    again = ContainerOptions.from_json(options.to_json())
    assert again.isolation == options.isolation


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"isolation_kind": "hyperv"}, "invalid --isolation 'hyperv'"),
    ({"isolation_kind": "vm", "runtime": "runc"}, "--runtime runc and --isolation vm"),
    ({"isolation_kind": "vm", "memory": "32m"}, "at least 64m"),
])
def test_isolation_refuses_what_a_microvm_cannot_do(kwargs: dict[str, object],
                                                    message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        ContainerOptions.parse(**kwargs)  # type: ignore[arg-type]


def test_boot_and_restore_build_the_same_machine() -> None:
    """A restore must have the template's devices in the template's order."""
    boot = qemu_argv(SPEC, PORTS, 15, boot=True)
    run = qemu_argv(SPEC.__class__(**{**SPEC.__dict__, "disk": "/d/root.ext4"}), PORTS, 15,
                    boot=False)

    def devices(argv: list[str]) -> list[str]:
        return [argv[i + 1] for i, word in enumerate(argv) if word == "-device"]

    assert devices(boot) == devices(run)
    assert "share=on" in " ".join(boot) and "share=off" in " ".join(run)
    assert run[-2:] == ["-incoming", "defer"] and "-incoming" not in boot
    assert "file=/d/root.ext4,format=raw,cache=unsafe" in " ".join(run)
    assert "-kernel" in boot


def test_the_script_quotes_what_the_user_typed() -> None:
    command = GuestCommand(args=["sh", "-c", "echo 'it''s' $HOME; exit 3"],
                           env=["A=x y", "B=$(reboot)"], cwd="/my dir", uid=1000, gid=1001,
                           hostname="box")
    script = render(command, "n0nce")
    launch = next(line for line in script.splitlines() if "nsenter" in line)
    words = shlex.split(launch.rsplit(" ) ", 1)[0])
    assert words[:5] == ["exec", "env", "-i", "A=x y", "B=$(reboot)"]
    assert words[5:] == ["/bin/nsenter", "-F", "-r/newroot", "-w/newroot/my dir", "-S", "1000",
                         "-G", "1001", "--", "sh", "-c", "echo 'it''s' $HOME; exit 3"]
    assert "printf '%s' box >/proc/sys/kernel/hostname" in script
    assert script.splitlines()[-2:] == ["printf '\\000hullbox-exit-n0nce %d\\n' $code >&4",
                                        "#end-of-script"]
    assert "sync" in script.split() and "sync" not in render(command, "n", keep_writes=False)


def test_root_runs_without_changing_credentials() -> None:
    script = render(GuestCommand(args=["true"], env=[]), "n")
    assert " -S " not in script and " -G " not in script


def test_stream_end_strips_the_marker_split_across_reads() -> None:
    marker = end_marker("abc")
    end = StreamEnd(marker)
    stream = b"hello\nworld" + marker + b"42\n"
    passed = b"".join(end.feed(stream[i:i + 3]) for i in range(0, len(stream), 3))
    assert passed == b"hello\nworld"
    assert end.complete() and end.trailer == b"42\n"


def test_stream_end_passes_text_that_only_looks_like_a_marker_start() -> None:
    end = StreamEnd(end_marker("abc"))
    assert end.feed(b"a\0hull") == b"a"       # held: could be the marker
    assert end.feed(b"abaloo\n") == b"\0hullabaloo\n"  # it was not
    assert not end.done


def test_module_depends_reads_modinfo(tmp_path: Path) -> None:
    module = tmp_path / "virtio_net.ko"
    module.write_bytes(b"\x7fELF...\0license=GPL\0depends=virtio_ring,virtio,net_failover\0"
                       b"name=virtio_net\0")
    assert module_depends(module) == ["virtio_ring", "virtio", "net_failover"]


def test_a_restore_loads_no_kernel_and_shares_an_image_disk_read_only() -> None:
    """The kernel is in the restored RAM already; reading it again is start-up
    time for nothing. An image snapshot's disk is shared by its runs."""
    run = qemu_argv(replace(SPEC, disk="/i/image.ext4", disk_readonly=True, mounted=True),
                    PORTS, 15, boot=False)
    assert "-kernel" not in run and "-initrd" not in run
    assert "file=/i/image.ext4,format=raw,cache=unsafe,readonly=on" in " ".join(run)
    making = qemu_argv(SPEC, PORTS, 15, boot=False, share_ram=True)
    assert "share=on" in " ".join(making) and making[-2:] == ["-incoming", "defer"]


def test_a_run_from_an_image_snapshot_mounts_nothing() -> None:
    command = GuestCommand(args=["true"], env=[])
    assert "bind_disk" in render(command, "n")
    mounted = render(command, "n", mounted=True, keep_writes=False)
    assert "bind_disk" not in mounted and "mount" not in mounted and "sync" not in mounted


def test_a_kept_containers_run_mounts_its_upper_disk_unless_the_snapshot_has() -> None:
    command = GuestCommand(args=["true"], env=[])
    later = render(command, "n", mounted=True, upper=True)
    assert "mount_upper" in later and "sync" in later and "bind_disk" not in later
    first = render(command, "n", mounted=True, upper=False)
    assert "mount_upper" not in first


def test_every_machine_has_the_root_and_upper_disks_by_serial() -> None:
    """A template and its restores must have the same devices; a kept
    container's disk takes the upper slot the template's guest probed."""
    boot = " ".join(qemu_argv(SPEC, PORTS, 15, boot=True))
    assert "serial=hullbox-root" in boot and "serial=hullbox-upper" in boot
    assert "driver=null-co,read-zeroes=on,size=17179869184" in boot
    kept = " ".join(qemu_argv(replace(SPEC, disk="/i/image.ext4", upper="/c/vm-upper.ext4",
                                      mounted=True), PORTS, 15, boot=False))
    assert "id=upper,file=/c/vm-upper.ext4,format=raw" in kept


def test_the_image_snapshot_reads_its_warm_files_quoted() -> None:
    script = mount_image_script(["/bin/busybox", "/odd dir/x;y"])
    assert "cat /newroot/bin/busybox '/newroot/odd dir/x;y' >/dev/null" in script
    assert script.endswith("serve\n#end-of-script\n")


def _elf_with_interpreter(interpreter: bytes) -> bytes:
    """A minimal 64-bit ELF header with one PT_INTERP program header."""
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 32, 64)          # e_phoff
    struct.pack_into("<HH", header, 54, 56, 1)      # e_phentsize, e_phnum
    program = bytearray(56)
    struct.pack_into("<I", program, 0, 3)           # PT_INTERP
    struct.pack_into("<Q", program, 8, 120)         # p_offset
    struct.pack_into("<Q", program, 32, len(interpreter) + 1)
    return bytes(header + program) + interpreter + b"\0"


def test_warm_files_follow_symlinks_inside_the_image(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "usr/bin").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / "bin").symlink_to("usr/bin")
    (root / "lib/ld-linux-x86-64.so.2").write_bytes(b"loader")
    (root / "lib/libc.so.6").write_bytes(b"libc")
    (root / "usr/bin/app").write_bytes(_elf_with_interpreter(b"/lib64/ld-linux-x86-64.so.2"))
    (root / "lib64").symlink_to("/lib")  # absolute: the image's /lib, not the host's
    (root / "usr/bin/sh").symlink_to("../bin/app")
    found = warm_files(root, ["app"], ["PATH=/nowhere:/bin"])
    assert found == ["/usr/bin/app", "/lib/ld-linux-x86-64.so.2", "/lib/libc.so.6"]
    assert resolve_in_root(root, "/bin/missing") is None
    # no such command: /bin/sh and the C library are still worth having
    assert warm_files(root, ["/etc/passwd"], []) == found


def test_a_guest_on_a_network_takes_the_containers_mac_and_address() -> None:
    command = GuestCommand(args=["true"], env=[],
                           nets=[GuestNet("10.88.0.5/16", "10.88.0.1", "02:fc:00:00:00:05")])
    lines = render(command, "n").splitlines()
    wanted = ["ip link set eth0 address 02:fc:00:00:00:05", "ip addr add 10.88.0.5/16 dev eth0",
              "ip link set eth0 up", "ip route add default via 10.88.0.1"]
    found = [line.removeprefix("[ $code = 0 ] && ") for line in lines]
    assert [line for line in found if line.startswith(("ip link set eth0", "ip addr", "ip route"))
            ] == wanted
    restore = qemu_argv(replace(SPEC, network=True, taps=("hbtap0",),
                                macs=("02:fc:00:00:00:05",)), PORTS, 15, boot=False)
    assert "tap,ifname=hbtap0,script=no,downscript=no,id=net0" in restore
    assert "virtio-net-device,netdev=net0,mac=02:fc:00:00:00:05" in restore


def test_a_guest_on_two_networks_has_a_nic_each_and_one_default_route() -> None:
    boot = " ".join(qemu_argv(replace(SPEC, network=True, nics=2), PORTS, 15, boot=True))
    assert "hubport,hubid=1,id=net1" in boot and "mac=02:68:62:00:00:01" in boot
    command = GuestCommand(args=["true"], env=[], nets=[
        GuestNet("10.1.0.5/24", "10.1.0.1", "02:aa:00:00:00:01", "02:68:62:00:00:00"),
        GuestNet("10.2.0.5/24", "", "02:aa:00:00:00:02", "02:68:62:00:00:01")])
    script = render(command, "n")
    assert "ip addr add 10.2.0.5/24 dev eth1" in script
    assert script.count("ip route add default") == 1
    assert "ip link set hbnic1 name eth1" in script  # if the guest named them otherwise


def test_cleanup_removes_only_the_files_of_images_that_are_gone(tmp_path: Path) -> None:
    from hullbox.vm.micro.cleanup import remove_unused_image_files

    live, gone = "a" * 64, "b" * 64
    disks, snaps = tmp_path / "microvm" / "rootfs", tmp_path / "microvm" / "images"
    disks.mkdir(parents=True)
    snaps.mkdir()
    for image_id in (live, gone):
        (disks / f"{image_id}.ext4").write_bytes(b"")
        (snaps / f"key-{image_id[:24]}").mkdir()
        (snaps / f"key-{image_id[:24]}" / "state").write_bytes(b"")
        (snaps / f"key-{image_id[:24]}.lock").write_bytes(b"")
    (disks / f".{gone}.ext4.123").write_bytes(b"")  # one being made
    remove_unused_image_files(tmp_path, [f"sha256:{live}"])
    assert sorted(p.name for p in disks.iterdir()) == [f"{live}.ext4"]
    assert sorted(p.name for p in snaps.iterdir()) == [f"key-{live[:24]}",
                                                      f"key-{live[:24]}.lock"]


def test_volumes_and_tmpfs_mount_at_their_destinations_parents_first() -> None:
    command = GuestCommand(args=["true"], env=[], volumes=[("/data/sub dir", False), ("/ro", True)],
                           tmpfs=[("/data", "size=8m,mode=1777")])
    lines = [line for line in render(command, "n", mounted=True).splitlines()
             if "mount -t" in line]
    tmpfs, = (n for n, line in enumerate(lines) if "tmpfs /newroot/data " in line)
    sub, = (n for n, line in enumerate(lines) if "'/newroot/data/sub dir' 2>" in line)
    assert tmpfs < sub and "bind_blk vol0" in lines[sub]
    assert any("-o noatime,ro /dev/hullbox-vol1 /newroot/ro" in line for line in lines)
    assert all("|| fail" in line for line in lines)


def test_sync_tree_makes_the_target_hold_the_source(tmp_path: Path) -> None:
    from hullbox.vm.micro.volumes import sync_tree

    source, target = tmp_path / "source", tmp_path / "target"
    (source / "dir").mkdir(parents=True)
    (source / "dir" / "new").write_text("new")
    (source / "link").symlink_to("dir/new")
    (target / "dir").mkdir(parents=True)
    (target / "dir" / "stale").write_text("stale")
    (target / "gone").write_text("gone")
    (target / "link").write_text("was a file")
    sync_tree(source, target)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == [
        "dir", "dir/new", "link"]
    assert (target / "link").readlink() == Path("dir/new")


def test_shares_are_9p_devices_a_run_points_at_its_volumes() -> None:
    """The template and a restore have the same 9p devices; the run's
    volumes take the first slots, the rest stay on the empty placeholder."""
    from hullbox.vm.micro.shares import SHARE_SLOTS, with_volumes
    from hullbox.vm.micro.volumes import Volume

    template = replace(SPEC, shares=("/t/share-empty",) * SHARE_SLOTS)
    boot = qemu_argv(template, PORTS, 15, boot=True)
    run = with_volumes(template, [Volume("/srv/da,ta", "/data"), Volume("/etc/x", "/x", True)])
    restore = qemu_argv(run, PORTS, 15, boot=False)
    devices = [arg for arg in restore if arg.startswith("virtio-9p-device")]
    assert devices == [arg for arg in boot if arg.startswith("virtio-9p-device")]
    assert devices[1] == "virtio-9p-device,fsdev=share1,mount_tag=hullbox-share1"
    assert len(devices) == SHARE_SLOTS
    fsdevs = [arg for arg in restore if arg.startswith("local,id=share")]
    assert fsdevs[0] == "local,id=share0,path=/srv/da,,ta,security_model=passthrough"
    assert fsdevs[1].endswith(",readonly=on") and fsdevs[2].endswith(",readonly=on")
    assert "path=/t/share-empty," in fsdevs[2]
    # a GuestSpec survives the runner's plan file
    assert GuestSpec.from_json(run.to_json()) == run


def test_share_volumes_mount_9p_read_only_with_ro() -> None:
    command = GuestCommand(args=["true"], env=[], volumes=[("/data", False), ("/ro", True)],
                           shares=True)
    lines = [line for line in render(command, "n", mounted=True).splitlines()
             if "mount -t" in line]
    assert any("mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=262144 "
               "hullbox-share0 /newroot/data" in line for line in lines)
    assert any(",ro hullbox-share1 /newroot/ro" in line for line in lines)
    assert not any("bind_blk" in line for line in lines)


def test_a_file_volume_is_shared_from_a_directory_of_its_own(tmp_path: Path) -> None:
    """Never its parent: the share holds a hard link to the file alone, and
    the guest bind-mounts it at the destination."""
    from hullbox.vm.micro.share_files import collect_files, stage_files
    from hullbox.vm.micro.shares import mount_command
    from hullbox.vm.micro.volumes import Volume

    host = tmp_path / "host"
    host.mkdir()
    (host / "app.conf").write_text("x")
    (host / "secret").write_text("not shared")
    container = tmp_path / "container"
    container.mkdir()
    staged, names = stage_files(container, [Volume(str(host), "/dir"),
                                            Volume(str(host / "app.conf"), "/etc/app.conf")])
    assert staged[0].source == str(host) and names == ["", "app.conf"]
    holder = Path(staged[1].source)
    assert holder.parent == container and [p.name for p in holder.iterdir()] == ["app.conf"]
    assert (holder / "app.conf").stat().st_ino == (host / "app.conf").stat().st_ino
    line = mount_command(1, "/newroot/etc/app.conf", False, "app.conf")
    assert "hullbox-share1 /run/share1 &&" in line
    assert line.endswith("mount --bind /run/share1/app.conf /newroot/etc/app.conf")
    collect_files(container)
    assert list(container.iterdir()) == [] and (host / "app.conf").read_text() == "x"
