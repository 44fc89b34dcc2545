"""The lazy command table (cli/command_table.py) against what the CLI modules'
register() functions really add: same names, same commands, same help."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import click
import pytest

from hullbox.cli.command_table import COMMANDS, LAZY_GROUPS
from hullbox.cli.lazy import LazyGroup, load, register_all


def _eager() -> click.Group:
    group = click.Group("hullbox")
    register_all(group)
    return group


def _shape(command: click.Command) -> Any:
    """What a user can reach through a command: its callback, options and help,
    and the same for each subcommand."""
    params = [(p.name, tuple(getattr(p, "opts", ()))) for p in command.params]
    subs: dict[str, Any] = {}
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        subs = {name: _shape(sub) for name in command.list_commands(ctx)
                if (sub := command.get_command(ctx, name)) is not None}
    return command.callback, params, command.help, command.short_help, subs


def _short_help(command: click.Command) -> str:
    return command.get_short_help_str(limit=10**6)


def test_every_registered_command_is_in_the_table_and_nothing_else() -> None:
    eager = _eager()
    missing = sorted(set(eager.commands) - set(COMMANDS))
    assert not missing, f"add to COMMANDS in cli/command_table.py: {missing}"
    assert sorted(COMMANDS) == sorted(eager.commands)
    for group, table in LAZY_GROUPS.items():
        real = eager.commands[group]
        assert isinstance(real, click.Group)
        assert sorted(table) == sorted(real.commands), f"`hullbox {group}` table"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_table_entry_loads_the_registered_command(name: str) -> None:
    eager = _eager()
    real = eager.commands[name]
    spec, short_help = COMMANDS[name]
    assert short_help == _short_help(real), f"short help of {name} in cli/command_table.py"
    if name in LAZY_GROUPS:
        for sub, (sub_spec, sub_help) in LAZY_GROUPS[name].items():
            assert isinstance(real, click.Group)
            loaded = load(sub_spec, sub)
            assert loaded is not None
            assert _shape(loaded) == _shape(real.commands[sub]), f"{name} {sub}"
            assert sub_help == _short_help(real.commands[sub]), f"short help of {name} {sub}"
        return
    loaded = load(spec, name)
    assert loaded is not None, f"{spec} does not make {name!r}"
    assert _shape(loaded) == _shape(real), f"{spec} is not what register() adds as {name!r}"


def _help(args: list[str], *, eager: bool) -> str:
    """`hullbox ARGS --help` in a fresh interpreter, lazy or with every
    module registered first (what hullbox did before it loaded lazily)."""
    code = ("import sys; import hullbox.cli.main as m; "
            + ("m._register(); " if eager else "")
            + f"m.main({[*args, '--help']!r})")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"}, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("args", [[], ["container"], ["image"], ["system"], ["vm"]])
def test_help_is_the_same_as_with_every_module_loaded(args: list[str]) -> None:
    lazy = _help(args, eager=False)
    assert "Commands:" in lazy
    assert lazy == _help(args, eager=True)


def test_help_lists_every_command_without_importing_them() -> None:
    code = ("import sys, contextlib, io; import hullbox.cli.main as m\n"
            "with contextlib.redirect_stdout(io.StringIO()), "
            "contextlib.suppress(SystemExit): m.main(['--help'])\n"
            "print(sorted(n for n in sys.modules if n.startswith('hullbox.cli.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == str(["hullbox.cli.command_table", "hullbox.cli.lazy",
                               "hullbox.cli.main"])


def test_a_command_missing_from_the_table_still_runs() -> None:
    group = LazyGroup("hullbox", lazy={})
    ctx = click.Context(group)
    run = group.get_command(ctx, "run")
    assert run is not None and run.name == "run"
    assert group.get_command(ctx, "no-such-command") is None


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    import hullbox

    assert hullbox.__version__ == version("hullbox")
