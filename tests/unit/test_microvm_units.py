"""The pure parts of ``--isolation vm``: flags, the guest script, QEMU's
command line, the end-of-output marker."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from hullbox.engine.options import ContainerOptions
from hullbox.engine.settings.storage import StorageSettings
from hullbox.errors import InvalidArgument
from hullbox.vm.micro.guest import module_depends
from hullbox.vm.micro.machine import GuestSpec, qemu_argv
from hullbox.vm.micro.script import GuestCommand, end_marker, render
from hullbox.vm.micro.session import StreamEnd

SPEC = GuestSpec(kernel="/k/vmlinuz", initrd="/t/initrd.gz", memory_mib=256, cpus=1,
                 accel="tcg", tsc_khz=2000000, ram_file="/t/ram", state_file="/t/state",
                 console_log="/c/console.log")
PORTS = {"ctl": 10, "sig": 11, "in": 12, "out": 13, "err": 14}


def test_isolation_vm_takes_memory_and_cpus_for_the_guest() -> None:
    options = ContainerOptions.parse(isolation_kind="vm", memory="512m", cpus="1.5")
    assert (options.isolation.vm, options.isolation.vm_memory_mib,
            options.isolation.vm_cpus) == (True, 512, 2)
    assert ContainerOptions.parse().isolation.kind == "process"
    again = ContainerOptions.from_json(options.to_json())
    assert again.isolation == options.isolation


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"isolation_kind": "hyperv"}, "invalid --isolation 'hyperv'"),
    ({"isolation_kind": "vm", "tty": True}, "-t is not supported"),
    ({"isolation_kind": "vm", "interactive": True}, "-i is not supported"),
    ({"isolation_kind": "vm", "runtime": "runc"}, "--runtime runc and --isolation vm"),
    ({"isolation_kind": "vm", "memory": "32m"}, "at least 64m"),
    ({"isolation_kind": "vm", "storage": StorageSettings(tmpfs={"/run": ""})},
     "-v/--mount/--tmpfs"),
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


def test_the_script_quotes_what_the_user_typed() -> None:
    command = GuestCommand(args=["sh", "-c", "echo 'it''s' $HOME; exit 3"],
                           env=["A=x y", "B=$(reboot)"], cwd="/my dir", uid=1000, gid=1001,
                           hostname="box")
    script = render(command, "n0nce")
    launch = next(line for line in script.splitlines() if "nsenter" in line)
    words = shlex.split(launch.split("&")[0].split("<")[0])
    assert words[:4] == ["env", "-i", "A=x y", "B=$(reboot)"]
    assert words[4:] == ["/bin/nsenter", "-F", "-r/newroot", "-w/newroot/my dir", "-S", "1000",
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
