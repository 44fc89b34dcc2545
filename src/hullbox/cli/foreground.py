"""A foreground container (``run``, ``start -a``, ``exec``) that can outlive
the command the user typed, as Docker's does: the detach keys leave a -it
container running, and with ``--sig-proxy=false`` a SIGINT or SIGTERM ends
the command but not the container.

hullbox has no daemon, and the container's parent must be the one to reap
it. So the command forks a keeper first: the keeper runs the container (its
parent, with the terminal as its stdio) in a session of its own, and the
command, which the shell waits for, only waits for the keeper and passes
signals on. When the user detaches, or the command is killed, the keeper
lets go of the terminal (restored, stdio to /dev/null) and goes on: it
records the exit, cleans up, removes an --rm container, as the command would
have.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import click

from hullbox.cli.reattach import Reattachable
from hullbox.errors import HullboxError
from hullbox.linux.sigthreads import start_daemon

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"
_DETACHED = b"d"


class _Keeper:
    """The forked side: runs the action; lets go of the terminal at most once."""

    def __init__(self, detached_w: int, reattach: Reattachable | None) -> None:
        self.detached_w = detached_w
        self.reattach = reattach
        self.lock = threading.Lock()
        self.let_go = False
        self.saved_mode: list[int | list[bytes | int]] | None = None
        if os.isatty(0):
            import termios

            self.saved_mode = termios.tcgetattr(0)

    def release_terminal(self, *, detached: bool) -> None:
        """The user left: give the terminal back as it was, write nowhere
        (or, once detached with the keys, where ``attach`` can pick it up)."""
        with self.lock:
            if self.let_go:
                return
            self.let_go = True
            if self.saved_mode is not None:
                from hullbox.linux.tty import restore_mode

                with contextlib.suppress(OSError, ValueError):
                    restore_mode(0, self.saved_mode)
            null = os.open(os.devnull, os.O_RDWR)
            stdin = stdout = null
            if detached and self.reattach is not None:
                stdin, stdout = self.reattach.descriptors()
            for fd, target in ((0, stdin), (1, stdout), (2, null)):
                os.dup2(target, fd)
            for fd in {null, stdin, stdout}:
                os.close(fd)

    def detach(self) -> None:
        self.release_terminal(detached=True)
        with contextlib.suppress(OSError):
            os.write(self.detached_w, _DETACHED)

    def watch_command(self, alive_r: int) -> None:
        """EOF on ``alive_r``: the command is gone (killed, with --sig-proxy=false)."""
        def wait() -> None:
            with contextlib.suppress(OSError):
                os.read(alive_r, 1)
            self.release_terminal(detached=False)

        start_daemon(wait)  # signals stay with the main thread, which forwards them

    def finish(self) -> None:
        """The container ended: close the log's pipe and let it be written."""
        with self.lock:
            if self.let_go and self.reattach is not None:
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, 1)
                os.close(null)
                self.reattach.close()


def _keep(action: Callable[[], int], keys: bytes | None, detached_w: int,
          alive_r: int, reattach: Reattachable | None) -> int:
    os.setsid()  # terminal signals reach the command, which decides (sig-proxy)
    keeper = _Keeper(detached_w, reattach)
    if keys:
        from hullbox.runtime.detach import Detacher, install

        install(Detacher(keys, keeper.detach))
    keeper.watch_command(alive_r)
    try:
        return action()
    except HullboxError as exc:
        if not keeper.let_go:
            click.echo(f"hullbox: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    finally:
        keeper.finish()


def _forward_to(pid: int, signals: tuple[int, ...]) -> None:
    def forward(sig: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    for sig in signals:
        signal.signal(sig, forward)


def run_kept(action: Callable[[], int], *, keys: bytes | None, sig_proxy: bool,
             reattach: Reattachable | None = None) -> int:
    """Run ``action`` (which runs a container to its end and returns its exit
    code) in a keeper; return that code, or 0 once the user detached with
    ``keys``. With ``sig_proxy`` the sig-proxy signals go to the container;
    without, they take their default course here (the command ends).
    ``reattach``: where the terminal goes after detaching (else nowhere)."""
    from hullbox.runtime.run import FORWARDED_SIGNALS

    detached_r, detached_w = os.pipe2(os.O_CLOEXEC)
    alive_r, alive_w = os.pipe2(os.O_CLOEXEC)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(detached_r)
            os.close(alive_w)
            code = _keep(action, keys, detached_w, alive_r, reattach)
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    os.close(detached_w)
    os.close(alive_r)
    # the window size goes to the keeper whatever --sig-proxy says: it resizes the pty
    _forward_to(pid, (signal.SIGWINCH, *(FORWARDED_SIGNALS if sig_proxy else ())))
    if os.read(detached_r, 1) == _DETACHED:
        return 0
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def proxy_signals_by_kill(containers: Any, container_id: str) -> None:
    """``attach``'s sig-proxy: the signals this command gets go to the container
    (the way ``kill -s`` sends them), and the attach goes on."""
    from hullbox.runtime.run import FORWARDED_SIGNALS

    def forward(sig: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(HullboxError):
            containers.kill(container_id, sig)

    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, forward)


def detach_keys_for(options_tty: bool, stdin: int | None, text: str | None) -> bytes | None:
    """The detach keys, when the user can type them: a -it session on a
    terminal, and keys not turned off with ``--detach-keys ""``."""
    if not options_tty or stdin is None or not os.isatty(stdin) or text == "":
        return None
    from hullbox.engine.attach import parse_detach_keys

    return parse_detach_keys(text or DEFAULT_DETACH_KEYS)


def run_attached(obj: Any, container_id: str, options: Any, params: dict[str, Any]) -> int:
    """``run`` without -d: the streams -a names on the terminal, the others
    not shown (still logged); the detach keys and --sig-proxy as given."""
    from hullbox.cli.runflags.behaviour import attached_streams
    from hullbox.engine.containers import delete_container

    engine = obj.engine
    streams = attached_streams(params)
    interactive, tty = bool(options.interactive), bool(options.tty)
    stdin = 0 if interactive and "stdin" in streams else None
    null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    try:
        stdout = 1 if "stdout" in streams else null
        stderr = 2 if "stderr" in streams else null

        image = engine.containers.get(container_id).image_name if params.get("rmi") else ""

        def action() -> int:
            try:
                return int(engine.containers.start_attached(
                    container_id, stdin=stdin, stdout=stdout, stderr=stderr))
            finally:
                if options.auto_remove:
                    with contextlib.suppress(HullboxError):
                        delete_container(engine.store, container_id)
                if image:  # --rmi: unless another container uses it (Conflict)
                    with contextlib.suppress(HullboxError):
                        engine.images.remove(image)

        keys = detach_keys_for(tty, stdin, params.get("detach_keys"))
        sig_proxy = bool(params.get("sig_proxy", True))
        if keys is None and sig_proxy:
            return action()  # nothing to outlive the command: no keeper needed
        reattach = Reattachable(engine.store, container_id, options) if keys else None
        return run_kept(action, keys=keys, sig_proxy=sig_proxy, reattach=reattach)
    finally:
        os.close(null)
