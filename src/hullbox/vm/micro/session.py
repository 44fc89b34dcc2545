"""One microVM run: restore the template into a new QEMU, hand the waiting
init its script, relay the command's output, forward signals, and return
its exit code once every byte of output has arrived."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from hullbox.errors import MachineFailure
from hullbox.vm.micro.channels import Channels, last_words, launch_qemu, stop_qemu
from hullbox.vm.micro.guest import CONSOLE
from hullbox.vm.micro.machine import GuestSpec, qemu_argv
from hullbox.vm.micro.qmpline import QmpLine, ignore_shared
from hullbox.vm.micro.relay import Input, relay
from hullbox.vm.micro.script import GuestCommand, end_marker, render
from hullbox.vm.micro.template import guest_ports
from hullbox.vm.micro.terminal import terminal_session, window_size

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
             signal.SIGUSR1, signal.SIGUSR2)


@contextlib.contextmanager
def forwarding_signals(sig_port: socket.socket) -> Iterator[None]:
    """While the guest runs, the signals this process gets go to the command
    (``stop`` sends SIGTERM to the container's pid: this process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            sig_port.sendall(signal.Signals(signum).name.removeprefix("SIG").encode() + b"\n")

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_guest(spec: GuestSpec, command: GuestCommand, *, stdout: int, stderr: int,
              log: Path, stdin: int | None = None,
              on_start: Callable[[int], None] | None = None) -> int:
    """Run ``command`` in a microVM restored from ``spec``'s template; its
    output goes to ``stdout``/``stderr`` (all of it to ``stdout`` on a
    terminal), ``stdin`` (with -i) to it; returns its exit code."""
    nonce = os.urandom(8).hex()  # not secrets: its hashlib import costs more than a run's QMP
    if command.terminal and not command.rows:
        rows, cols = window_size((stdin, stdout))
        command = replace(command, rows=rows, cols=cols)
    keep_writes = bool(spec.upper or spec.volumes) or not (spec.disk_volatile or spec.mounted)
    script = render(command, nonce, keep_writes=keep_writes, mounted=spec.mounted,
                    upper=bool(spec.upper) and not spec.upper_mounted).encode()
    channels = Channels.make()
    proc = launch_qemu(qemu_argv(spec, guest_ports(channels), channels.guest["qmp"].fileno(),
                                 boot=False), channels, log, spec.netns)
    try:
        qmp = QmpLine(channels.host["qmp"])
        ignore_shared(qmp)
        qmp.execute("migrate-incoming", {"uri": "exec:cat " + shlex.quote(spec.state_file)})
        channels.host["ctl"].sendall(script)
        if on_start is not None:
            on_start(proc.pid)
        with contextlib.ExitStack() as stack:
            stack.enter_context(forwarding_signals(channels.host["sig"]))
            if command.terminal:
                stack.enter_context(terminal_session(stdin, stdout, channels.host["sig"]))
            code = _relay(channels, command, nonce, (stdin, stdout, stderr))
        if code is None:
            raise MachineFailure("the microVM ended before its command did: "
                                 + last_words(log, Path(spec.console_log)))
        return code
    finally:
        stop_qemu(proc)
        channels.close()


def _relay(channels: Channels, command: GuestCommand, nonce: str,
           stdio: tuple[int | None, int, int]) -> int | None:
    stdin, stdout, stderr = stdio
    host = {name: sock.fileno() for name, sock in channels.host.items()}
    outputs = {host["out"]: stdout, host["err"]: stderr}
    if command.terminal:
        outputs[host[CONSOLE]] = stdout
    if stdin is None or not command.interactive:
        return relay(outputs, None, host["qmp"], end_marker(nonce), host["out"])
    with channels.host[CONSOLE if command.terminal else "in"].dup() as port:
        feed = Input(stdin, port, close_at_end=not command.terminal)
        return relay(outputs, feed, host["qmp"], end_marker(nonce), host["out"])
