"""Attached ``compose up``: ``Attaching to web-1, db-1``, then the
containers' output side by side, each line prefixed (compose.logprefix),
until they have all stopped; Ctrl-C (or SIGTERM) stops them and a second
Ctrl-C kills them, as docker compose does.
``--abort-on-container-exit`` stops the others once one exits,
``--abort-on-container-failure`` once one fails, and ``--exit-code-from``
picks whose exit code ``up`` returns."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hullbox.compose.logprefix import Prefixes, attaching_line
from hullbox.compose.logs import follow_logs
from hullbox.store.containers import ContainerRecord


@dataclass
class AttachOptions:
    """The flags of attached ``up``."""

    abort_on_exit: bool = False
    abort_on_failure: bool = False
    exit_code_from: str | None = None
    prefix: bool = True
    colour: bool = False
    timestamps: bool = False


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the project gracefully, as Ctrl-C does; and so does a
    SIGINT even when ``up`` was started with it ignored (``up &`` in a
    script: the shell ignores SIGINT for it, and Python then installs no
    handler), as docker compose, which asks for both, does."""
    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def completed_dependencies(services: dict[str, Any]) -> set[str]:
    """Services others wait on with ``service_completed_successfully``: they
    are meant to exit, so their exit 0 aborts nothing."""
    return {dep for service in services.values()
            for dep, spec in (service.get("depends_on") or {}).items()
            if (spec or {}).get("condition") == "service_completed_successfully"}


def attach(engine: Any, records: list[ContainerRecord], options: AttachOptions, *,
           service_of: Callable[[ContainerRecord], str], meant_to_exit: set[str],
           write: Callable[[bytes], None], say: Callable[[str], None],
           stop: Callable[[], None], kill: Callable[[], None]) -> int:
    """Print the containers' output until they have all stopped; the exit
    code ``up`` returns: 0, or with an abort the code of the container that
    caused it (of ``exit_code_from``'s container when given)."""
    prefixes = Prefixes.of(records, colour=options.colour, prefix=options.prefix)
    exit_from = options.exit_code_from
    exit_code, aborting = 0, False
    say(attaching_line(records))
    with _sigterm_as_interrupt():
        try:
            for record, line in follow_logs(engine, records, timestamps=options.timestamps):
                if line is not None:
                    write(prefixes.line(record, line))
                    continue
                code = engine.containers.wait(record.id)
                say(prefixes.status(record, f"exited with code {code}"))
                service = service_of(record)
                if not aborting and _aborts(options, code, service in meant_to_exit):
                    aborting = True
                    if options.abort_on_failure:
                        exit_code = code
                    else:
                        exit_from = exit_from or service
                    say("Aborting on container exit...")
                    stop()
                if service == exit_from:
                    exit_code = code
        except KeyboardInterrupt:
            # hold a second Ctrl-C back while the message is written: arriving
            # there, it escaped both handlers and left the services running
            stopping = {signal.SIGINT, signal.SIGTERM}
            signal.pthread_sigmask(signal.SIG_BLOCK, stopping)
            try:
                say("Gracefully stopping... (press Ctrl+C again to force)")
                signal.pthread_sigmask(signal.SIG_UNBLOCK, stopping)
                stop()
            except KeyboardInterrupt:
                say("Killing...")
                kill()
    return exit_code


def _aborts(options: AttachOptions, code: int, meant_to_exit: bool) -> bool:
    """Whether this exit stops the others."""
    if options.abort_on_failure:
        return code != 0
    if options.abort_on_exit or options.exit_code_from:
        return code != 0 or not meant_to_exit
    return False
