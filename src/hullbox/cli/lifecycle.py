"""Verbs on running containers: logs, stop, kill, wait, restart."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from hullbox.errors import HullboxError, InvalidArgument


def _each(containers: tuple[str, ...], action: Callable[[str], object],
          echo: Callable[[str, object], str | None]) -> int:
    """Apply ``action`` to every target, go on past a failure and report each
    (one ``hullbox: ...`` line). Exit 0 when all went well, 1 when some
    failed, and the error's own code (125) when every one failed: then the
    user's input was wrong, as with a single missing container."""
    failures: list[HullboxError] = []
    for name in containers:
        try:
            result = action(name)
        except HullboxError as exc:
            click.echo(f"hullbox: {exc}", err=True)
            failures.append(exc)
            continue
        line = echo(name, result)
        if line is not None:
            click.echo(line)
    if not failures:
        return 0
    return failures[-1].exit_code if len(failures) == len(containers) else 1


def _tail(value: str) -> int | None:
    if value == "all":
        return None
    if not value.lstrip("-").isdigit():
        raise InvalidArgument(f"invalid --tail {value!r}: use a number of lines or all")
    number = int(value)
    return None if number < 0 else number


@click.command()
@click.option("-f", "--follow", is_flag=True, help="Follow the output until the container exits.")
@click.option("-n", "--tail", default="all", help="Lines from the end to show (or all).")
@click.option("-t", "--timestamps", is_flag=True, help="Show the time of each line.")
@click.option("--since", help="Lines after a time (2024-05-01T12:00:00Z, 1700000000) or "
              "a duration ago (10m).")
@click.option("--until", help="Lines before a time or a duration ago.")
@click.option("--details", is_flag=True, help="Show the attributes --log-opt labels=/env= "
              "add to each line.")
@click.argument("container")
@click.pass_obj
def logs(obj: Any, follow: bool, tail: str, timestamps: bool, since: str | None,
         until: str | None, details: bool, container: str) -> None:
    """Print a container's output: stdout lines to stdout, stderr lines to stderr."""
    entries = obj.engine.containers.logs(container, follow=follow, tail=_tail(tail),
                                         since=since, until=until)
    prefix = b""
    if details:
        from hullbox.engine.log_details import details_prefix, extra_attributes

        prefix = details_prefix(extra_attributes(
            obj.engine.store, obj.engine.images, obj.engine.containers.get(container)))
    streams = {"stdout": sys.stdout.buffer, "stderr": sys.stderr.buffer}
    for entry in entries:
        out = streams.get(entry.stream, sys.stdout.buffer)
        if timestamps:
            out.write(entry.time.encode() + b" ")
        out.write(prefix)
        out.write(entry.data)
        if follow:  # a follower wants each line as it comes
            out.flush()
    for out in streams.values():
        out.flush()


# Docker's -t/--timeout; --time is its older spelling, still accepted
_TIMEOUT = click.option("-t", "--timeout", "--time", "timeout", type=float, default=None,
                        help="Seconds to wait before killing it (default 10; -1: forever).")
_SIGNAL = click.option("-s", "--signal", "sig", default=None,
                       help="Signal to stop it with (default: its STOPSIGNAL, else TERM).")


def _stop_args(timeout: float | None, sig: str | None) -> float | None:
    """A bad signal is the user's error once, not once per container; a
    negative timeout waits as long as it takes, as in Docker."""
    if sig is not None:
        from hullbox.engine.lifecycle import parse_signal

        parse_signal(sig)
    return None if timeout is None else (1e9 if timeout < 0 else timeout)


@click.command()
@_SIGNAL
@_TIMEOUT
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def stop(obj: Any, sig: str | None, timeout: float | None, containers: tuple[str, ...]) -> int:
    """Stop running containers: STOPSIGNAL (SIGTERM), then SIGKILL."""
    timeout = _stop_args(timeout, sig)
    return _each(containers, lambda n: obj.engine.containers.stop(n, timeout, sig),
                 lambda name, _r: name)


@click.command()
@_SIGNAL
@_TIMEOUT
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def restart(obj: Any, sig: str | None, timeout: float | None,
            containers: tuple[str, ...]) -> int:
    """Stop then start containers, in the background."""
    timeout = _stop_args(timeout, sig)
    return _each(containers, lambda n: obj.engine.containers.restart(n, timeout, sig),
                 lambda name, _r: name)


@click.command()
@click.option("-s", "--signal", "sig", default="KILL", help="Signal to send (default KILL).")
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def kill(obj: Any, sig: str, containers: tuple[str, ...]) -> int:
    """Send a signal to running containers."""
    from hullbox.engine.lifecycle import parse_signal

    parse_signal(sig)  # a bad signal is the user's error once, not once per container
    return _each(containers, lambda n: obj.engine.containers.kill(n, sig),
                 lambda name, _r: name)


@click.command()
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def wait(obj: Any, containers: tuple[str, ...]) -> int:
    """Wait for containers to stop; print each exit code."""
    return _each(containers, obj.engine.containers.wait, lambda _n, code: str(code))


def register(cli: click.Group, group: click.Group) -> None:
    """Add the verbs at top level and under ``hullbox container``."""
    for command in (logs, stop, restart, kill, wait):
        cli.add_command(command)
        group.add_command(command)
