"""The instructions that change only the image config (ENV, LABEL, WORKDIR,
USER, CMD, ENTRYPOINT, EXPOSE, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL,
ONBUILD, MAINTAINER), applied with variables already in scope (pure)."""

from __future__ import annotations

import json
import posixpath
import re

from hullbox.build.instructions import Instruction, OnBuild
from hullbox.build.shell_lex import EnvGetter, ShellLex
from hullbox.errors import InvalidArgument
from hullbox.image.changes import apply_changes
from hullbox.oci.image import ContainerConfig

DEFAULT_SHELL = ["/bin/sh", "-c"]
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
            "m": 60_000_000_000, "h": 3_600_000_000_000}


class StageConfig:
    """The config of a stage as its instructions change it."""

    def __init__(self, config: ContainerConfig, author: str = "") -> None:
        self.config = config
        self.author = author
        self.cmd_set = False  # CMD given in this stage: a later ENTRYPOINT keeps it

    def shell(self) -> list[str]:
        return list(self.config.shell or DEFAULT_SHELL)

    def command(self, inst: Instruction) -> list[str]:
        """The argv of a CMD/ENTRYPOINT/RUN: exec form as written, shell form
        through the SHELL."""
        if inst.json:
            return list(inst.args)
        return [*self.shell(), " ".join(inst.args)]

    def apply(self, inst: Instruction, lex: ShellLex, env: EnvGetter) -> None:
        """Apply one config instruction; raises InvalidArgument for bad values."""
        keyword = inst.keyword
        config = self.config
        if keyword in ("ENV", "LABEL"):
            for key, value in _pairs(inst, lex, env):
                if keyword == "ENV":
                    config.env = [e for e in config.env if e.partition("=")[0] != key]
                    config.env.append(f"{key}={value}")
                else:
                    config.labels = {**config.labels, key: value}
        elif keyword == "WORKDIR":
            path = lex.process_word(inst.args[0], env)
            config.working_dir = posixpath.normpath(
                posixpath.join("/", config.working_dir or "/", path))
        elif keyword == "USER":
            config.user = lex.process_word(inst.args[0], env)
        elif keyword == "CMD":
            config.cmd = self.command(inst)
            self.cmd_set = True
        elif keyword == "ENTRYPOINT":
            config.entrypoint = self.command(inst) or None
            if not self.cmd_set:
                config.cmd = None
        elif keyword in ("EXPOSE", "VOLUME", "STOPSIGNAL"):
            words = list(inst.args) if inst.json else [lex.process_word(a, env) for a in inst.args]
            text = json.dumps(words) if keyword == "VOLUME" else " ".join(words)
            self.config = apply_changes(config, [f"{keyword} {text}"])
        elif keyword == "SHELL":
            config.shell = list(inst.args)
        elif keyword == "HEALTHCHECK":
            config.healthcheck = healthcheck(inst)
        elif isinstance(inst, OnBuild):
            config.on_build = [*(config.on_build or []), inst.trigger]
        elif keyword == "MAINTAINER":
            self.author = " ".join(inst.args)
        else:
            raise AssertionError(f"not a config instruction: {keyword}")


def _pairs(inst: Instruction, lex: ShellLex, env: EnvGetter) -> list[tuple[str, str]]:
    """ENV/LABEL arguments come from the parser as (key, value, separator)."""
    args = inst.args
    if len(args) % 3:
        raise inst.error(f"{inst.keyword} names must be followed by values")
    out = []
    for i in range(0, len(args), 3):
        key = lex.process_word(args[i], env)
        if not key:
            raise inst.error(f"{inst.keyword} names can not be blank")
        out.append((key, lex.process_word(args[i + 1], env)))
    return out


def duration_ns(text: str, what: str) -> int:
    """Go's time.ParseDuration, in nanoseconds."""
    if text in ("0", ""):
        return 0
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION.match(text, pos)
        if match is None:
            raise InvalidArgument(f"{what}: time: invalid duration {text!r}")
        total += float(match.group(1)) * _UNIT_NS[match.group(2)]
        pos = match.end()
    return int(total)


def healthcheck(inst: Instruction) -> dict[str, object]:
    """Docker's Healthcheck object for a HEALTHCHECK instruction."""
    kind = inst.args[0].upper()
    if kind == "NONE":
        if len(inst.args) > 1 or inst.flags:
            raise inst.error("HEALTHCHECK NONE takes no arguments")
        return {"Test": ["NONE"]}
    if kind != "CMD" or len(inst.args) < 2:
        raise inst.error("HEALTHCHECK requires CMD and a command, or NONE")
    test = ["CMD", *inst.args[1:]] if inst.json else ["CMD-SHELL", " ".join(inst.args[1:])]
    out: dict[str, object] = {"Test": test}
    for flag, key in (("interval", "Interval"), ("timeout", "Timeout"),
                      ("start-period", "StartPeriod"), ("start-interval", "StartInterval")):
        value = inst.flag(flag)
        if value:
            ns = duration_ns(value, f"HEALTHCHECK --{flag}")
            if 0 < ns < 1_000_000:
                raise inst.error(f"HEALTHCHECK --{flag} cannot be less than 1ms")
            if ns:
                out[key] = ns
    retries = inst.flag("retries")
    if retries:
        if not retries.isdigit() or int(retries) < 1:
            raise inst.error("HEALTHCHECK --retries must be at least 1")
        out["Retries"] = int(retries)
    return out
