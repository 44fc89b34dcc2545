"""``hullbox run --isolation vm`` as a user types it: the busybox image
booted in a real QEMU microVM with Debian's cloud kernel (TCG here), its
output, exit code, environment and lifecycle as with a container."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import struct
import termios
import time
import urllib.request
from pathlib import Path

import pytest

from hullbox.vm.kernel import guest_kernel_path
from hullbox.vm.micro.guest import VOLUME_SLOTS
from hullbox.vm.micro.shares import SHARE_SLOTS, share_module_files

from .conftest import Hullbox
from .terminal import terminal

pytestmark = pytest.mark.slow

VM = ("--isolation", "vm")
#: volumes are live 9p shares (vm.micro.shares) when the guest kernel has 9p, else copies
SHARED = bool(share_module_files(guest_kernel_path()))
SLOTS = SHARE_SLOTS if SHARED else VOLUME_SLOTS


def _qemu_of(root: Path) -> list[int]:
    """QEMU processes of this store's microVMs (their RAM file is in it)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"hullbox-microvm" in cmdline and str(root).encode() in cmdline:
            found.append(int(pid))
    return found


@pytest.fixture(scope="module")
def vm(hullbox: Hullbox) -> Hullbox:
    """The store, with its microVM template made by a first run (a cold
    TCG boot takes a while on a loaded host)."""
    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("QEMU is not installed (apt-get install qemu-system-x86)")
    if not guest_kernel_path().is_file():
        pytest.skip(f"no guest kernel at {guest_kernel_path()}; run scripts/fetch-guest-kernel.sh")
    first = hullbox("run", "--rm", *VM, "busybox", "true", timeout=600)
    assert first.returncode == 0, first.stderr
    return hullbox


def test_the_command_runs_on_the_guest_kernel(vm: Hullbox) -> None:
    result = vm("run", "--rm", *VM, "busybox", "uname", "-r")
    assert result.returncode == 0, result.stderr
    guest = guest_kernel_path().resolve().name.removeprefix("vmlinuz-")
    assert result.stdout == guest + "\n"
    # the guest's own kernel command line, not the host's
    cmdline = vm.ok("run", "--rm", *VM, "busybox", "cat", "/proc/cmdline")
    assert "console=ttyS0" in cmdline and cmdline != Path("/proc/cmdline").read_text()


def test_output_streams_and_exit_code_pass_through(vm: Hullbox) -> None:
    result = vm("run", "--rm", *VM, "busybox", "sh", "-c",
                "echo to-out; echo to-err >&2; exit 3")
    assert (result.returncode, result.stdout, result.stderr) == (3, "to-out\n", "to-err\n")


def test_env_workdir_and_user_apply_in_the_guest(vm: Hullbox) -> None:
    out = vm.ok("run", "--rm", *VM, "-e", "GREETING=hello there", "-w", "/work",
                "-u", "1000:1001", "busybox", "sh", "-c",
                'echo "$GREETING"; pwd; id -u; id -g; echo "$PATH"')
    assert out.splitlines()[:4] == ["hello there", "/work", "1000", "1001"]
    assert "/bin" in out.splitlines()[4]  # the image's PATH


def test_stdin_reaches_the_command_with_i(vm: Hullbox) -> None:
    result = vm("run", "--rm", "-i", *VM, "busybox", "sh", "-c", "wc -l; read -r x || echo eof",
                input=b"one\ntwo\nthree\n")
    assert (result.returncode, result.stdout.split()) == (0, ["3", "eof"]), result.stderr


def test_it_gives_a_shell_on_a_terminal(vm: Hullbox) -> None:
    with terminal(vm, "run", "--rm", "-it", *VM, "busybox", "sh") as user:
        fcntl.ioctl(user.master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        assert b"# " in user.read_until(b"# ", timeout=120)  # the shell's prompt
        user.type(b"tty; echo $((6*7))\r")
        assert b"/dev/hvc0" in user.read_until(b"42", timeout=30)
        user.type(b"stty size\r")
        assert b"33 101" in user.read_until(b"33 101", timeout=30)
        fcntl.ioctl(user.master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        time.sleep(0.5)  # the resize travels as SIGWINCH, then a line to the guest
        user.type(b"stty size\r")
        assert b"40 120" in user.read_until(b"40 120", timeout=30)
        user.type(b"sleep 60\r")
        time.sleep(1)
        user.type(b"\x03")  # Ctrl-C reaches sleep through the guest's terminal
        user.type(b"echo after-$((1+1))\r")
        assert b"after-2" in user.read_until(b"after-2", timeout=30)
        user.type(b"exit 5\r")
        assert user.exit_code() == 5
    assert _qemu_of(vm.root) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_published_port_reaches_a_server_in_the_microvm(vm: Hullbox) -> None:
    """The guest takes the container's address on the default bridge: the
    port forward that points at the container reaches it."""
    port = _free_port()
    vm.ok("run", "-d", "--name", "vm-web", *VM, "-p", f"127.0.0.1:{port}:80", "busybox", "sh",
          "-c", "mkdir /www && echo hello-from-the-guest >/www/index.html && "
          "exec httpd -f -p 80 -h /www", timeout=120)
    try:
        body = b""
        deadline = time.monotonic() + 120
        while b"hello" not in body and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    body = page.read()
            except OSError:
                time.sleep(0.5)
        assert body == b"hello-from-the-guest\n"
    finally:
        vm.ok("rm", "-f", "vm-web", timeout=60)
    assert _qemu_of(vm.root) == []


def test_network_none_gives_the_guest_no_nic(vm: Hullbox) -> None:
    # a machine without a NIC: its own template, booted by this first run
    out = vm.ok("run", "--rm", "--network", "none", *VM, "busybox", "ls", "/sys/class/net",
                timeout=600)
    assert out.split() == ["lo"]
    bridged = vm.ok("run", "--rm", *VM, "busybox", "ls", "/sys/class/net")
    assert bridged.split() == ["eth0", "lo"]


def test_a_missing_command_exits_127(vm: Hullbox) -> None:
    result = vm("run", "--rm", *VM, "busybox", "no-such-command")
    assert result.returncode == 127
    assert "no-such-command" in result.stderr


def test_rm_leaves_neither_container_nor_qemu(vm: Hullbox) -> None:
    vm.ok("run", "--rm", "--name", "vm-gone", *VM, "busybox", "true")
    assert "vm-gone" not in vm.ok("ps", "-a", "--format", "{{.Names}}")
    assert _qemu_of(vm.root) == []


def test_a_kept_container_keeps_its_disk_across_starts(vm: Hullbox) -> None:
    """Its first start restores a snapshot with its (empty) disk mounted,
    later ones mount the disk its runs wrote: both keep files and deletions."""
    script = ("cat /marker 2>/dev/null; [ -e /etc/group ] || echo group-gone; "
              "echo written-$((6*7)) >> /marker; rm -f /etc/group")
    first = vm("run", "--name", "vm-keep", *VM, "busybox", "sh", "-c", script, timeout=300)
    assert (first.returncode, first.stdout) == (0, ""), first.stderr
    again = vm("start", "-a", "vm-keep", timeout=120)
    assert (again.returncode, again.stdout) == (0, "written-42\ngroup-gone\n"), again.stderr
    third = vm("start", "-a", "vm-keep", timeout=120)
    assert third.stdout == "written-42\nwritten-42\ngroup-gone\n", third.stderr
    vm.ok("rm", "vm-keep")
    assert _qemu_of(vm.root) == []


def test_create_start_wait_logs_ps_and_inspect(vm: Hullbox) -> None:
    cid = vm.ok("create", "--name", "vm-created", *VM, "busybox", "sh", "-c",
                "echo out-$((2+3)); echo err-$((3+4)) >&2; exit 4").strip()
    try:
        assert vm.ok("inspect", "-f", "{{.HostConfig.Isolation}} {{.State.Status}}",
                     "vm-created") == "vm created\n"
        vm.ok("start", "vm-created", timeout=300)
        assert vm.ok("wait", "vm-created", timeout=120) == "4\n"
        logs = vm("logs", cid)
        assert (logs.stdout, logs.stderr) == ("out-5\n", "err-7\n")
        listed = vm.ok("ps", "-a", "--filter", "name=vm-created",
                       "--format", "{{.Names}} {{.Status}}")
        assert listed.startswith("vm-created Exited (4)"), listed
        # a stopped one starts again, from its own disk, and its logs add up
        vm.ok("start", "vm-created", timeout=120)
        assert vm.ok("wait", "vm-created", timeout=120) == "4\n"
        assert vm.ok("logs", "vm-created") == "out-5\nout-5\n"
    finally:
        vm.ok("rm", "-f", "vm-created", timeout=60)
    assert _qemu_of(vm.root) == []
    # a container's inspect says it is not a microVM
    assert vm.ok("inspect", "-f", "{{json .HostConfig.Isolation}}",
                 vm.ok("create", "--name", "plain", "busybox", "true").strip()) == '""\n'
    vm.ok("rm", "plain")


def test_stop_kills_a_command_that_ignores_sigterm_after_the_timeout(vm: Hullbox) -> None:
    vm.ok("run", "-d", "--name", "vm-stubborn", *VM, "busybox", "sh", "-c",
          "trap '' TERM; echo up; while :; do sleep 1; done", timeout=300)
    try:
        _wait_for_log(vm, "vm-stubborn", "up")
        assert "vm-stubborn" in vm.ok("ps", "--format", "{{.Names}}")
        vm.ok("stop", "-t", "2", "vm-stubborn", timeout=120)
        assert vm.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                     "vm-stubborn") == "exited 137\n"
        assert "vm-stubborn" not in vm.ok("ps", "--format", "{{.Names}}")
        assert _qemu_of(vm.root) == []
        # started again (detached): running, logging, and killed by kill
        vm.ok("start", "vm-stubborn", timeout=120)
        assert vm.ok("inspect", "-f", "{{.State.Status}}", "vm-stubborn") == "running\n"
        deadline = time.monotonic() + 120
        while vm.ok("logs", "vm-stubborn").count("up") < 2:
            assert time.monotonic() < deadline, "no output from the restarted microVM"
            time.sleep(0.2)
        vm.ok("kill", "vm-stubborn")
        assert vm.ok("wait", "vm-stubborn", timeout=60) == "137\n"
    finally:
        vm.ok("rm", "-f", "vm-stubborn", timeout=60)
    assert "vm-stubborn" not in vm.ok("ps", "-a", "--format", "{{.Names}}")
    deadline = time.monotonic() + 10
    while _qemu_of(vm.root):
        assert time.monotonic() < deadline, "QEMU outlived its removed container"
        time.sleep(0.1)


def _wait_for_log(vm: Hullbox, name: str, text: str) -> None:
    deadline = time.monotonic() + 120
    while text not in vm.ok("logs", name):
        assert time.monotonic() < deadline, f"no {text!r} from the detached microVM {name}"
        time.sleep(0.2)


def test_detached_logs_stop_and_rm(vm: Hullbox) -> None:
    cid = vm.ok("run", "-d", "--name", "vm-bg", *VM, "busybox", "sh", "-c",
                "echo started; exec sleep 300", timeout=120).strip()
    deadline = time.monotonic() + 120
    while "started" not in vm.ok("logs", cid):
        assert time.monotonic() < deadline, "no output from the detached microVM"
        time.sleep(0.2)
    assert vm.ok("inspect", "-f", "{{.State.Status}}", "vm-bg").strip() == "running"
    assert _qemu_of(vm.root) != []
    vm.ok("stop", "-t", "60", "vm-bg", timeout=120)
    # SIGTERM reached sleep in the guest: it died of it
    assert vm.ok("inspect", "-f", "{{.State.ExitCode}}", "vm-bg").strip() == "143"
    vm.ok("rm", "vm-bg")
    assert _qemu_of(vm.root) == []


def test_kill_of_a_detached_microvm_ends_its_qemu(vm: Hullbox) -> None:
    vm.ok("run", "-d", "--name", "vm-kill", *VM, "busybox", "sleep", "300", timeout=120)
    deadline = time.monotonic() + 60
    while not _qemu_of(vm.root):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    vm.ok("kill", "vm-kill")
    assert vm.ok("inspect", "-f", "{{.State.ExitCode}}", "vm-kill").strip() == "137"
    vm.ok("rm", "vm-kill")
    deadline = time.monotonic() + 10
    while _qemu_of(vm.root):
        assert time.monotonic() < deadline, "QEMU outlived its killed container"
        time.sleep(0.1)


@pytest.mark.parametrize(("flags", "message"), [
    (("--isolation", "hyperv"), "invalid --isolation 'hyperv': use process or vm"),
    (("--isolation", "vm", "-m", "16m"), "at least 64m"),
    (("--isolation", "vm", *(f"--volume=/tmp:/v{n}" for n in range(SLOTS + 1))),
     f"a microVM (--isolation vm) takes at most {SLOTS} volumes, not {SLOTS + 1}"),
    (("--isolation", "vm", "--cap-drop", "ALL"),
     "--cap-add/--cap-drop is not supported with --isolation vm: the command runs as root"),
    (("--isolation", "vm", "--pids-limit", "10"),
     "--pids-limit is not supported with --isolation vm: the guest has no cgroup to limit"),
    (("--isolation", "vm", "--pid", "host"),
     "--ipc/--pid/--uts/--cgroupns is not supported with --isolation vm: the guest kernel"),
    (("--isolation", "vm", "--cpu-shares", "512"),
     "--cpu-shares/--cpuset-*/--memory-swap/--blkio-*/--oom-*/--cgroup-parent is not "
     "supported with --isolation vm: the guest has no cgroup to tune"),
    (("--isolation", "vm", "--device", "/dev/null"),
     "--device is not supported with --isolation vm: the host's devices are not in the guest"),
    (("--isolation", "vm", "-v", "/dev/null:/x"),
     "volume /dev/null:/x: a microVM (--isolation vm) shares directories and regular files only"
     if SHARED else "volume /dev/null:/x: a microVM (--isolation vm) mounts directories only"),
])
def test_bad_input_is_one_line_and_exit_125(hullbox: Hullbox, flags: tuple[str, ...],
                                            message: str) -> None:
    before = hullbox.ok("ps", "-aq")
    result = hullbox("run", "--rm", *flags, "busybox", "true")
    assert result.returncode == 125
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert hullbox.ok("ps", "-aq") == before
    assert _qemu_of(hullbox.root) == []
    assert not list(hullbox.root.glob("containers/*/vm-vol*"))


@pytest.mark.parametrize("verb", [("exec", "vm-files", "ls"),
                                  ("cp", "vm-files:/etc/hostname", "{tmp}/out"),
                                  ("cp", "{tmp}/in", "vm-files:/tmp/"),
                                  ("commit", "vm-files", "vm-files-image"),
                                  ("export", "-o", "{tmp}/out", "vm-files")])
def test_verbs_that_reach_into_the_rootfs_refuse_a_microvm(hullbox: Hullbox, tmp_path: Path,
                                                           verb: tuple[str, ...]) -> None:
    """Its writes are in the guest: on the host they would be stale or missing."""
    hullbox.ok("create", "--name", "vm-files", *VM, "busybox", "true")
    (tmp_path / "in").write_text("x")
    try:
        result = hullbox(*(word.format(tmp=tmp_path) for word in verb))
        assert result.returncode == 125
        assert result.stderr.strip().splitlines() == [
            f"hullbox: {verb[0]} does not work with container vm-files: it runs in a microVM "
            "(--isolation vm), whose files and processes are in the guest"]
        assert not (tmp_path / "out").exists()
        assert "vm-files-image" not in hullbox.ok("images", "--format", "{{.Repository}}")
    finally:
        hullbox.ok("rm", "vm-files")


def _microvm_files_of(root: Path, image_id: str) -> list[Path]:
    """The store's microVM files (disks, snapshots) named after ``image_id``."""
    short = image_id.removeprefix("sha256:")[:24]
    return [path for path in (root / "microvm").rglob("*") if short in path.name]


def test_rmi_deletes_the_images_microvm_disk_and_snapshot(vm: Hullbox, busybox_tar: Path) -> None:
    image_id = vm.ok("import", "--change", "ENV VM_RMI=1", str(busybox_tar),
                     "vm-rmi:latest").strip()
    assert vm.ok("run", "--rm", *VM, "vm-rmi", "sh", "-c", "echo $VM_RMI",
                 timeout=300) == "1\n"
    made = _microvm_files_of(vm.root, image_id)
    assert any(path.suffix == ".ext4" for path in made), made   # its disk
    assert any((path / "state").is_file() for path in made), made  # its snapshot
    vm.ok("rmi", "vm-rmi")
    assert _microvm_files_of(vm.root, image_id) == []
    # busybox's own are kept
    busybox = vm.ok("image", "inspect", "-f", "{{.Id}}", "busybox").strip()
    assert _microvm_files_of(vm.root, busybox) != []


def test_volumes_and_tmpfs_in_the_microvm(vm: Hullbox, tmp_path: Path) -> None:
    """-v host:ctr, -v host:ctr:ro, a named volume and --tmpfs as with a
    container; what the guest wrote is on the host once it has exited."""
    data, readonly = tmp_path / "data", tmp_path / "ro"
    (data / "old").mkdir(parents=True)
    (data / "old" / "kept").write_text("from-the-host\n")
    (data / "doomed").write_text("x")
    readonly.mkdir()
    (readonly / "r").write_text("read-only\n")
    script = ("cat /data/old/kept /ro/r; rm /data/doomed; echo new > /data/new; "
              "mkdir /data/owned && chown 1000:1001 /data/owned; echo in-named > /named/n; "
              "echo x > /ro/x 2>/dev/null || echo ro-refused; "
              "grep -E ' /scratch ' /proc/mounts | cut -d' ' -f3,4 | cut -d, -f1; "
              "echo t > /scratch/t && cat /scratch/t")
    out = vm.ok("run", "--rm", *VM, "-v", f"{data}:/data", "-v", f"{readonly}:/ro:ro",
                "-v", "vm-named:/named", "--tmpfs", "/scratch:size=8m", "busybox", "sh", "-c",
                script, timeout=300)
    assert out == "from-the-host\nread-only\nro-refused\ntmpfs rw\nt\n"
    assert sorted(p.name for p in data.iterdir()) == ["new", "old", "owned"]
    assert (data / "new").read_text() == "new\n"
    assert (data / "old" / "kept").read_text() == "from-the-host\n"
    owned = (data / "owned").stat()
    assert (owned.st_uid, owned.st_gid) == (1000, 1001)
    assert sorted(p.name for p in readonly.iterdir()) == ["r"]
    # a container sees what the microVM wrote to the named volume
    assert vm.ok("run", "--rm", "-v", "vm-named:/named", "busybox", "cat",
                 "/named/n") == "in-named\n"
    vm.ok("volume", "rm", "vm-named")


def test_a_detached_microvm_writes_its_volume_by_stop(vm: Hullbox, tmp_path: Path) -> None:
    vm.ok("run", "-d", "--name", "vm-vol", *VM, "-v", f"{tmp_path}:/data", "busybox", "sh",
          "-c", "echo from-the-guest > /data/out; echo written; exec sleep 300", timeout=300)
    try:
        _wait_for_log(vm, "vm-vol", "written")
        vm.ok("stop", "-t", "30", "vm-vol", timeout=120)
        assert (tmp_path / "out").read_text() == "from-the-guest\n"
        assert not list(vm.root.glob("containers/*/vm-vol*"))  # its copies are gone
    finally:
        vm.ok("rm", "-f", "vm-vol", timeout=60)


@pytest.fixture(scope="module")
def configured_image(vm: Hullbox, busybox_tar: Path) -> str:
    """An image with its own Env, WorkingDir and User."""
    vm.ok("import", "--change", "ENV GREETING=from-the-image", "--change", "WORKDIR /srv/app",
          "--change", "USER 1000:1001", str(busybox_tar), "vm-configured:latest")
    return "vm-configured"


@pytest.mark.parametrize("command", [
    ("sh", "-c", 'echo "$GREETING"; pwd; id -u; id -g; echo to-err >&2; exit 7'),
    ("env",),
    ("no-such-command",),
    ("/etc",),
    ("./no-such",),
])
def test_output_and_exit_code_are_a_containers(vm: Hullbox, configured_image: str,
                                               command: tuple[str, ...]) -> None:
    """The image's Env, WorkingDir and User apply; stdout, stderr and the
    exit code are what the same command gives in a container."""
    container = vm("run", "--rm", configured_image, *command)
    microvm = vm("run", "--rm", *VM, configured_image, *command, timeout=300)
    assert (microvm.returncode, microvm.stdout, microvm.stderr) == \
        (container.returncode, container.stdout, container.stderr)
    if command[0] == "sh":
        assert microvm.stdout == "from-the-image\n/srv/app\n1000\n1001\n"


def test_a_microvm_on_two_networks_reaches_a_container_on_each(vm: Hullbox) -> None:
    for name in ("vm-net-a", "vm-net-b"):
        vm.ok("network", "create", name)
    try:
        vm.ok("run", "-d", "--name", "vm-peer-a", "--network", "vm-net-a", "busybox",
              "sleep", "600")
        vm.ok("run", "-d", "--name", "vm-peer-b", "--network", "vm-net-b", "busybox",
              "sleep", "600")
        vm.ok("create", "--name", "vm-two", "--network", "vm-net-a", *VM, "busybox", "sh", "-c",
              "[ -e /second ] && exec sleep 600; touch /second; "
              "ping -c1 -W20 vm-peer-a >/dev/null && echo a-reached; "
              "ping -c1 -W20 vm-peer-b >/dev/null && echo b-reached; "
              "for eth in eth0 eth1; do ip -o -4 addr show dev $eth | cut -d' ' -f7; "
              "cat /sys/class/net/$eth/address; done")
        vm.ok("network", "connect", "vm-net-b", "vm-two")
        result = vm("start", "-a", "vm-two", timeout=600)  # a template with two NICs: a boot
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[:2] == ["a-reached", "b-reached"]
        # on each network the guest has the container's address and MAC (02:42 + the address)
        for cidr, mac in zip(lines[2::2], lines[3::2], strict=True):
            address = cidr.split("/")[0]
            assert mac == "02:42:" + ":".join(f"{int(part):02x}" for part in address.split("."))
        assert len(lines) == 6
        # its NICs are fixed while it runs: connect and disconnect wait for a stop
        vm.ok("start", "vm-two", timeout=120)
        assert vm.ok("inspect", "-f", "{{.State.Status}}", "vm-two") == "running\n"
        refused = vm("network", "disconnect", "vm-net-b", "vm-two")
        assert refused.returncode == 125 and len(refused.stderr.splitlines()) == 1
        assert "a microVM (--isolation vm) has its network devices from its start" \
            in refused.stderr
    finally:
        vm("rm", "-f", "vm-two", "vm-peer-a", "vm-peer-b", timeout=60)
        for name in ("vm-net-a", "vm-net-b"):
            vm("network", "rm", name)
    assert _qemu_of(vm.root) == []


def test_read_only_ulimit_and_sysctl_apply_as_in_a_container(vm: Hullbox) -> None:
    flags = ("--read-only", "--tmpfs", "/scratch", "--ulimit", "nofile=512:1024",
             "--ulimit", "core=1048576:2097152", "--sysctl", "net.ipv4.ip_forward=1")
    script = ("ulimit -Sn; ulimit -Hn; ulimit -Sc; cat /proc/sys/net/ipv4/ip_forward; "
              "touch /x || echo root-read-only; touch /scratch/y && echo tmpfs-writable")
    container = vm("run", "--rm", *flags, "busybox", "sh", "-c", script)
    microvm = vm("run", "--rm", *VM, *flags, "busybox", "sh", "-c", script, timeout=300)
    assert microvm.stdout == "512\n1024\n2048\n1\nroot-read-only\ntmpfs-writable\n"
    assert (microvm.returncode, microvm.stdout, microvm.stderr) == \
        (container.returncode, container.stdout, container.stderr)
