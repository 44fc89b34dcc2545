"""Process, identity and resource flags: -e, -w, -u, --memory, ..."""

from __future__ import annotations

from typing import Any

import click

from hullbox.errors import InvalidArgument

FLAGS = [
    click.option("--name", help="Name of the container."),
    click.option("-e", "--env", multiple=True, help="Set an environment variable."),
    click.option("--env-file", multiple=True, help="Read environment variables from a file."),
    click.option("-w", "--workdir", help="Working directory inside the container."),
    click.option("-u", "--user", help="user[:group], by name or number."),
    click.option("-h", "--hostname", help="Container host name."),
    click.option("--entrypoint", help="Override the image's ENTRYPOINT."),
    click.option("-i", "--interactive", is_flag=True, help="Keep stdin open."),
    click.option("-t", "--tty", is_flag=True, help="Allocate a pseudo-terminal."),
    click.option("--rm", "auto_remove", is_flag=True, help="Remove the container on exit."),
    click.option("--read-only", is_flag=True, help="Mount the root filesystem read-only."),
    click.option("-m", "--memory", help="Memory limit (e.g. 64m)."),
    click.option("--cpus", help="Number of CPUs (e.g. 0.5)."),
    click.option("--pids-limit", type=int, help="Maximum number of processes."),
    click.option("-l", "--label", multiple=True, help="key=value metadata."),
    click.option("--runtime", default="hullbox", help="OCI runtime: hullbox or runc."),
]


def _read_env_files(paths: tuple[str, ...]) -> list[str]:
    env: list[str] = []
    for path in paths:
        try:
            with open(path) as handle:
                for line in handle:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        env.append(line)
        except OSError as exc:
            raise InvalidArgument(f"--env-file {path}: {exc.strerror}") from exc
    return env


def _parse_labels(labels: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for label in labels:
        key, _, value = label.partition("=")
        out[key] = value
    return out


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    entrypoint = params.get("entrypoint")
    return {
        "name": params.get("name"),
        "env": [*_read_env_files(params.get("env_file") or ()), *params.get("env", ())],
        "workdir": params.get("workdir"),
        "user": params.get("user"),
        "hostname": params.get("hostname"),
        "entrypoint": None if entrypoint is None else ([entrypoint] if entrypoint else []),
        "tty": params.get("tty", False),
        "interactive": params.get("interactive", False),
        "read_only": params.get("read_only", False),
        "memory": params.get("memory"),
        "cpus": params.get("cpus"),
        "pids_limit": params.get("pids_limit"),
        "labels": _parse_labels(params.get("label", ())),
        "runtime": params.get("runtime", "hullbox"),
        "auto_remove": params.get("auto_remove", False),
    }
