"""``update``: change the resource limits and restart policy of containers."""

from __future__ import annotations

from typing import Any

import click

from hullbox.errors import InvalidArgument


@click.command()
@click.option("--blkio-weight", type=int, help="Block IO (relative weight), 10 to 1000.")
@click.option("--cpu-period", type=int, help="Limit CPU CFS period (microseconds).")
@click.option("--cpu-quota", type=int, help="Limit CPU CFS quota (microseconds).")
@click.option("--cpu-rt-period", type=int, help="Limit the CPU real-time period (microseconds).")
@click.option("--cpu-rt-runtime", type=int,
              help="Limit the CPU real-time runtime (microseconds).")
@click.option("-c", "--cpu-shares", type=int, help="CPU shares (relative weight).")
@click.option("--cpus", help="Number of CPUs.")
@click.option("--cpuset-cpus", help="CPUs in which to allow execution (0-3, 0,1).")
@click.option("--cpuset-mems", help="MEMs in which to allow execution (0-3, 0,1).")
@click.option("-m", "--memory", help="Memory limit.")
@click.option("--memory-reservation", help="Memory soft limit.")
@click.option("--memory-swap", help="Swap limit equal to memory plus swap: -1 to enable "
              "unlimited swap.")
@click.option("--pids-limit", type=int, help="Tune container pids limit (-1 for unlimited).")
@click.option("--restart", help="Restart policy to apply when a container exits.")
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def update(obj: Any, /, containers: tuple[str, ...], **flags: Any) -> int:
    """Update configuration of one or more containers."""
    from hullbox.cli.targets import each
    from hullbox.engine.update import UpdateRequest, update_container

    request = UpdateRequest.parse(**flags)
    if request.empty():
        raise InvalidArgument("you must provide one or more flags when using this command "
                              "(e.g. --memory 64m or --restart always)")
    service = obj.engine.containers
    return each(containers, lambda name: update_container(service, name, request), echo=True)


def register(cli: click.Group) -> None:
    """``update`` at top level and under ``container``."""
    cli.add_command(update)
    group = cli.commands.get("container")
    if isinstance(group, click.Group):
        group.add_command(update)
