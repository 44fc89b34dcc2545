"""``hullbox compose up``: create and start the services, then (unless
detached) show their output until they stop, with docker compose's flags."""

from __future__ import annotations

from typing import Any

import click


@click.command("up")
@click.argument("services", nargs=-1)
@click.option("-d", "--detach", is_flag=True, help="Run in the background.")
@click.option("--scale", multiple=True, metavar="SERVICE=NUM", help="Number of replicas.")
@click.option("--no-deps", is_flag=True, help="Do not start linked services.")
@click.option("--force-recreate", is_flag=True, help="Recreate even if unchanged.")
@click.option("--no-recreate", is_flag=True, help="Keep existing containers.")
@click.option("--no-start", is_flag=True, help="Create but do not start.")
@click.option("--remove-orphans", is_flag=True, help="Remove containers of gone services.")
@click.option("--build", "build", is_flag=True, help="Build images before starting.")
@click.option("--wait", is_flag=True,
              help="Wait until the services run, and are healthy when checked (implies -d).")
@click.option("--wait-timeout", type=float, default=None, metavar="SECONDS",
              help="Longest wait for a depends_on condition or --wait (default: from the check).")
@click.option("--abort-on-container-exit", is_flag=True,
              help="Stop all containers once one stops.")
@click.option("--abort-on-container-failure", is_flag=True,
              help="Stop all containers once one exits with a non-zero code.")
@click.option("--exit-code-from", default=None, metavar="SERVICE",
              help="Return this service's exit code (implies --abort-on-container-exit).")
@click.option("--attach-dependencies", is_flag=True,
              help="Show the output of the named services' dependencies too.")
@click.option("--attach", "attach_to", multiple=True, metavar="SERVICE",
              help="Show the output of these services only.")
@click.option("--no-attach", multiple=True, metavar="SERVICE",
              help="Do not show the output of these services.")
@click.option("--no-log-prefix", is_flag=True, help="Do not prefix lines with names.")
@click.option("--no-color", is_flag=True, help="Monochrome output.")
@click.option("--timestamps", is_flag=True, help="Show timestamps.")
@click.option("-t", "--timeout", type=float, default=None,
              help="Seconds to wait for a container to stop (on recreate, Ctrl-C, abort).")
@click.pass_obj
def up(obj: Any, /, services: tuple[str, ...], detach: bool, scale: tuple[str, ...],
       no_deps: bool, force_recreate: bool, no_recreate: bool, no_start: bool,
       remove_orphans: bool, build: bool, wait: bool, wait_timeout: float | None,
       timeout: float | None, **attached: Any) -> int:
    """Create and start the services' containers."""
    from hullbox.compose.operations import UpOptions

    _check_attach_flags(detach or wait or no_start, attached)
    from hullbox.cli.compose import _bound, _scale

    bound = _bound(obj, list(services))
    for name in (attached["exit_code_from"], *attached["attach_to"], *attached["no_attach"]):
        if name:
            bound.project.service(name)
    records = bound.up(list(services) or None, UpOptions(
        scale=_scale(scale), no_deps=no_deps, force_recreate=force_recreate,
        no_recreate=no_recreate, no_start=no_start, remove_orphans=remove_orphans,
        build=build, wait_timeout=wait_timeout, timeout=timeout))
    if wait and not no_start:
        from hullbox.compose.waiting import wait_ready

        wait_ready(bound.engine, records, wait_timeout)
        return 0
    if detach or no_start:
        return 0
    return _attach(bound, list(services), records,
                   {**attached, "ansi": obj.params["ansi"], "timeout": timeout})


def _check_attach_flags(detached: bool, attached: dict[str, Any]) -> None:
    from hullbox.errors import InvalidArgument

    aborts = [f"--{k.replace('_', '-')}" for k in ("abort_on_container_exit",
                                                   "abort_on_container_failure",
                                                   "exit_code_from") if attached[k]]
    if detached and aborts:
        raise InvalidArgument(f"{aborts[0]} needs the attached up: drop -d, --wait and "
                              "--no-start")
    if attached["abort_on_container_exit"] and attached["abort_on_container_failure"]:
        raise InvalidArgument("--abort-on-container-exit and --abort-on-container-failure "
                              "cannot be combined; use one")


def _attach(bound: Any, services: list[str], records: list[Any],
            attached: dict[str, Any]) -> int:
    """Attached up: the services' output until they stop (see compose.attach)."""
    import sys

    from hullbox.compose.attach import AttachOptions, attach, completed_dependencies
    from hullbox.compose.logprefix import use_colour
    from hullbox.compose.operations import service_of

    shown = records if not services or attached["attach_dependencies"] else \
        [r for r in records if service_of(r) in services]
    if attached["attach_to"]:
        shown = [r for r in records if service_of(r) in attached["attach_to"]]
    shown = [r for r in shown if service_of(r) not in attached["no_attach"]]
    names = sorted({service_of(r) for r in records})

    def write(data: bytes) -> None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

    return attach(
        bound.engine, shown,
        AttachOptions(abort_on_exit=attached["abort_on_container_exit"],
                      abort_on_failure=attached["abort_on_container_failure"],
                      exit_code_from=attached["exit_code_from"],
                      prefix=not attached["no_log_prefix"],
                      colour=use_colour(attached["ansi"], attached["no_color"]),
                      timestamps=attached["timestamps"]),
        service_of=service_of, meant_to_exit=completed_dependencies(bound.project.services),
        write=write, say=lambda text: click.echo(text, err=True),
        stop=lambda: bound.stop(names, attached["timeout"]), kill=lambda: bound.kill(names))
