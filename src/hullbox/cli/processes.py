"""``pause``, ``unpause``, ``top`` and ``stats``: the processes of running containers."""

from __future__ import annotations

import sys
from typing import Any

import click

from hullbox.cli.format import format_rows, print_table
from hullbox.cli.lifecycle import _each


@click.command()
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def pause(obj: Any, containers: tuple[str, ...]) -> int:
    """Freeze every process of the containers."""
    return _each(containers, obj.engine.processes.pause, lambda name, _r: name)


@click.command()
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def unpause(obj: Any, containers: tuple[str, ...]) -> int:
    """Let the processes of paused containers run again."""
    return _each(containers, obj.engine.processes.unpause, lambda name, _r: name)


@click.command(context_settings={"allow_interspersed_args": False,
                                 "help_option_names": ["--help"]})
@click.argument("container")
@click.argument("ps_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def top(obj: Any, container: str, ps_args: tuple[str, ...]) -> None:
    """Show the processes of a container (ps options as for the host's ps)."""
    table = obj.engine.processes.top(container, list(ps_args))
    print_table(table.titles, table.processes)


# -- stats ---------------------------------------------------------------------
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB")
_HEADERS = {"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME",
            "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %",
            "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"}
_DEFAULT = ("table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"
            "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}")


def _size(value: float, base: float, units: tuple[str, ...], precision: int) -> str:
    """go-units' CustomSize: ``%.<precision>g`` of the value in the largest unit."""
    index = 0
    while value >= base and index < len(units) - 1:
        value /= base
        index += 1
    return f"{value:.{precision}g}{units[index]}"


def _row(sample: Any, no_trunc: bool) -> dict[str, str]:
    net = "--" if sample.net is None else (
        f"{_size(sample.net[0], 1000, _DECIMAL, 3)} / {_size(sample.net[1], 1000, _DECIMAL, 3)}")
    return {
        "Container": sample.id if no_trunc else sample.id[:12],
        "ID": sample.id if no_trunc else sample.id[:12],
        "Name": sample.name,
        "CPUPerc": f"{sample.cpu_percent:.2f}%",
        "MemUsage": (f"{_size(sample.mem_usage, 1024, _BINARY, 4)} / "
                     f"{_size(sample.mem_limit, 1024, _BINARY, 4)}"),
        "MemPerc": f"{sample.mem_percent:.2f}%",
        "NetIO": net,
        "BlockIO": (f"{_size(sample.block[0], 1000, _DECIMAL, 3)} / "
                    f"{_size(sample.block[1], 1000, _DECIMAL, 3)}"),
        "PIDs": str(sample.pids),
    }


def _render(samples: list[Any], fmt: str | None, no_trunc: bool) -> list[str]:
    rows = [_row(s, no_trunc) for s in samples]
    if not fmt or fmt.strip() == "table":
        fmt = _DEFAULT
    return format_rows(rows, fmt, _HEADERS) or []


@click.command()
@click.option("-a", "--all", "show_all", is_flag=True, help="All containers, not only running.")
@click.option("--no-stream", is_flag=True, help="Print one sample and exit.")
@click.option("--no-trunc", is_flag=True, help="Do not truncate IDs.")
@click.option("--format", "fmt", help="Go template, table TEMPLATE, or json.")
@click.argument("containers", nargs=-1)
@click.pass_obj
def stats(obj: Any, show_all: bool, no_stream: bool, no_trunc: bool, fmt: str | None,
          containers: tuple[str, ...]) -> None:
    """Live resource use of containers: CPU, memory, network and block I/O, pids."""
    samples = obj.engine.processes.stats(list(containers), all=show_all)
    for batch in samples:
        lines = _render(batch, fmt, no_trunc)
        if not no_stream:
            sys.stdout.write("\033[2J\033[H")  # redraw in place, as docker stats does
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()
        if no_stream:
            return


def register(cli: click.Group) -> None:
    """Add the verbs at top level and under ``hullbox container``."""
    group = cli.commands.get("container")
    for command in (pause, unpause, top, stats):
        cli.add_command(command)
        if isinstance(group, click.Group):
            group.add_command(command)
