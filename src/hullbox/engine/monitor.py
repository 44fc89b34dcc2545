"""The per-container monitor: hullbox's conmon (DESIGN.md, "Processes").

``hullbox run -d`` and ``hullbox start`` start one per container, detached
(``detach.start_monitor``: double fork, setsid, stdio on /dev/null). It is
the container's parent, so the exit status comes from waitpid and the store
gets the pid, state, exit code and finish time even when the command that
started it is gone. It is one process that execs itself from phase to phase
(same pid: still the parent, still holding the container's lock):

    start   (heavy) lock, mount, start the container, report "started PID"
            or the failure to the waiting command             -> watch
    watch   (lean)  copy the output into the rotating log, reap the container
                                            -> exited (in the same interpreter)
    exited  (heavy) record the exit, clean up; restart as the policy says
                    (-> watch), else finish (and remove an --rm container)

The heavy phases import the engine; ``watch``, which lasts as long as the
container runs, imports only built-in modules (engine.watch, logwriter), so
an idle container costs little memory. Every phase runs ``python -S``: no
site import in the lean phase; the heavy ones run site.main() themselves.

    python -S -m hullbox.engine.monitor ROOT ID start REPORT_FD
    python -S -m hullbox.engine.monitor ROOT ID watch PID LOCK_FD LOG MAX_SIZE MAX_FILES
        OUT ERR STDIN MASTER HELD
    python -S -m hullbox.engine.monitor ROOT ID exited LOCK_FD WAIT_STATUS HELD

HELD lists the descriptors the container's network keeps open while it runs
(published ports' reservations), comma-separated, or "-": the lean phase only
passes them on.
"""

from __future__ import annotations

import os
import sys

MODULE = "hullbox.engine.monitor"


def monitor_argv(root: str, container_id: str, *phase: str) -> list[str]:
    """The command line of a monitor phase, with this interpreter."""
    return [sys.executable, "-S", "-m", MODULE, root, container_id, *phase]


def exec_phase(root: str, container_id: str, *phase: str) -> None:
    """Become another phase: a fresh interpreter in this same process."""
    argv = monitor_argv(root, container_id, *phase)
    os.execv(argv[0], argv)


def _watch(root: str, container_id: str, args: list[str]) -> int:
    from hullbox.engine.logwriter import LogWriter
    from hullbox.engine.watch import watch

    pid, lock_fd, log, max_size, max_files, out, err, stdin, master, held = args
    writer = LogWriter(log, int(max_size), int(max_files)) if log else None
    sources = {int(out): "stdout"}
    if int(err) >= 0:
        sources[int(err)] = "stderr"
    forward = (int(stdin), int(master)) if int(stdin) >= 0 else None
    status = watch(int(pid), sources, writer, forward)
    if writer is not None:
        writer.close()
    # Go on to the exited phase in this interpreter rather than exec a fresh
    # one: `rm -f`, `stop` and `wait` wait for it, and a new interpreter's
    # start-up would only add to that.
    return main([root, container_id, "exited", lock_fd, str(status), held])


def main(argv: list[str]) -> int:
    """Run one phase (see the module docstring)."""
    root, container_id, phase, *args = argv
    if phase == "watch":
        return _watch(root, container_id, args)
    import gc

    # As in cli.main: the heavy phases import a lot and keep it all; the GC
    # need not walk it at every 700 allocations, nor once more at exit.
    gc.set_threshold(20_000, *gc.get_threshold()[1:])
    try:
        return _heavy_phase(root, container_id, phase, args)
    finally:
        gc.freeze()


def _heavy_phase(root: str, container_id: str, phase: str, args: list[str]) -> int:
    import site

    site.main()  # -S skipped it: the heavy phases may need third-party packages
    from hullbox.engine import monitor_phases

    if phase == "start":
        return monitor_phases.start_phase(root, container_id, int(args[0]))
    held = [int(fd) for fd in args[2].split(",")] if args[2] != "-" else []
    return monitor_phases.exited_phase(root, container_id, int(args[0]), int(args[1]), held)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
