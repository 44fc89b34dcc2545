"""``hullbox version``: Docker's two sections, Client and Server. hullbox has
no daemon: the "server" is the engine each command runs in-process, so both
report this installation (scripts read ``{{.Server.Version}}`` as with docker)."""

from __future__ import annotations

import json
import platform
from typing import Any

import click

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


def version_facts() -> dict[str, Any]:
    """Docker's version object (its field names), for ``--format``."""
    from hullbox import __version__

    arch = _ARCH.get(platform.machine(), platform.machine())
    python = platform.python_version()
    common = {"Version": __version__, "Os": "linux", "Arch": arch, "PythonVersion": python}
    return {
        "Client": {"Platform": {"Name": "hullbox"}, **common, "Context": "default"},
        "Server": {
            "Platform": {"Name": "hullbox (daemonless)"},
            "Components": [
                {"Name": "Engine", "Version": __version__,
                 "Details": {"Os": "linux", "Arch": arch, "KernelVersion": platform.release(),
                             "PythonVersion": python}},
                {"Name": "hullbox-runtime", "Version": __version__, "Details": {}},
            ],
            **common, "KernelVersion": platform.release(),
        },
    }


def _text(facts: dict[str, Any]) -> str:
    client, server = facts["Client"], facts["Server"]
    return "\n".join([
        "Client:",
        f" Version:           {client['Version']}",
        f" Python version:    {client['PythonVersion']}",
        f" OS/Arch:           {client['Os']}/{client['Arch']}",
        f" Context:           {client['Context']}",
        "",
        f"Server: {server['Platform']['Name']}",
        " Engine:",
        f"  Version:          {server['Version']}",
        f"  Python version:   {server['PythonVersion']}",
        f"  OS/Arch:          {server['Os']}/{server['Arch']}",
        f"  Kernel version:   {server['KernelVersion']}",
        " hullbox-runtime:",
        f"  Version:          {server['Version']}",
    ])


@click.command()
@click.option("-f", "--format", "fmt", help="json, or a Go template ('{{.Server.Version}}').")
def version(fmt: str | None) -> None:
    """Show the hullbox version (Client and Server, as docker version does)."""
    from hullbox.cli.format import render_template

    facts = version_facts()
    if fmt is None:
        click.echo(_text(facts))
    elif fmt.strip() in ("json", "{{json .}}"):
        click.echo(json.dumps(facts, separators=(",", ":")))
    else:
        click.echo(render_template(fmt, facts))
