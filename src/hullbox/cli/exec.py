"""``exec`` and ``attach``: a process in a running container, and the
output (and input) of a detached one."""

from __future__ import annotations

import os
from typing import Any

import click

from hullbox.cli.docker_bools import DockerBoolCommand
from hullbox.errors import InvalidArgument

_SETTINGS = {"allow_interspersed_args": False, "help_option_names": ["--help"]}


@click.command(name="exec", context_settings=_SETTINGS)
@click.option("-i", "--interactive", is_flag=True, help="Keep stdin open.")
@click.option("-t", "--tty", is_flag=True, help="Allocate a pseudo-terminal.")
@click.option("-d", "--detach", is_flag=True, help="Run the command in the background.")
@click.option("-e", "--env", multiple=True, help="Set an environment variable.")
@click.option("--env-file", multiple=True, help="Read environment variables from a file.")
@click.option("-w", "--workdir", help="Working directory inside the container.")
@click.option("-u", "--user", help="user[:group], by name or number.")
@click.option("--privileged", is_flag=True, help="Give the command every capability.")
@click.option("--detach-keys", default=None, metavar="KEYS",
              help="Keys that detach from an -it exec and leave it running "
              "(default ctrl-p,ctrl-q; \"\" for none).")
@click.argument("container")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_obj
def exec_(obj: Any, /, container: str, command: tuple[str, ...], interactive: bool, tty: bool,
          detach: bool, env: tuple[str, ...], env_file: tuple[str, ...], workdir: str | None,
          user: str | None, privileged: bool, detach_keys: str | None) -> int:
    """Run COMMAND in a running CONTAINER; exit with its code."""
    from hullbox.cli.foreground import detach_keys_for, run_kept
    from hullbox.cli.runflags.basic import _read_env_files
    from hullbox.engine.exec import ExecOptions

    options = ExecOptions(env=[*_read_env_files(env_file), *env], workdir=workdir, user=user,
                          tty=tty, privileged=privileged)
    if detach:
        obj.engine.processes.exec_detached(container, list(command), options)
        return 0
    if tty and interactive and not os.isatty(0):
        raise InvalidArgument("the input device is not a TTY; drop -t or run from a terminal")
    stdin = 0 if interactive else None
    keys = detach_keys_for(tty, stdin, detach_keys)

    def action() -> int:
        return int(obj.engine.processes.exec(container, list(command), options, stdin=stdin))

    return action() if keys is None else run_kept(action, keys=keys, sig_proxy=True)


@click.command(cls=DockerBoolCommand)
@click.option("--no-stdin", is_flag=True, help="Do not attach stdin.")
@click.option("--detach-keys", default="ctrl-p,ctrl-q", show_default=True,
              help="Keys that detach and leave the container running (\"\" for none).")
@click.option("--sig-proxy/--no-sig-proxy", default=True, show_default=True,
              help="Pass SIGINT, SIGTERM... on to a container without -t "
              "(--sig-proxy=false: Ctrl-C leaves it running).")
@click.argument("container")
@click.pass_obj
def attach(obj: Any, no_stdin: bool, detach_keys: str, sig_proxy: bool, container: str) -> int:
    """Attach to a running container's output (and input, if started with -i)."""
    import sys

    from hullbox.engine.attach import parse_detach_keys

    keys = parse_detach_keys(detach_keys) if detach_keys else b""
    record = obj.engine.containers.get(container)
    if sig_proxy and not record.config.get("tty"):
        from hullbox.cli.foreground import proxy_signals_by_kill

        proxy_signals_by_kill(obj.engine.containers, record.id)
    raw = None
    if not no_stdin and record.config.get("tty") and os.isatty(0):
        from hullbox.linux.tty import make_raw

        raw = make_raw(0)  # keystrokes, the detach keys among them, go through as typed
    try:
        code = obj.engine.processes.attach(
            container, stdin=None if no_stdin else 0, stdout=sys.stdout.buffer,
            stderr=sys.stderr.buffer, detach_keys=keys)
    finally:
        if raw is not None:
            from hullbox.linux.tty import restore_mode

            restore_mode(0, raw)
    if code is None:
        click.echo("read escape sequence", err=True)
        return 1  # as docker attach does on detaching
    return int(code)


def register(cli: click.Group) -> None:
    """Add the verbs at top level and under ``hullbox container``."""
    group = cli.commands.get("container")
    for command in (exec_, attach):
        cli.add_command(command)
        if isinstance(group, click.Group):
            group.add_command(command)
