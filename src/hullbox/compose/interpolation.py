"""Variable substitution in compose files: ``$VAR``, ``${VAR}``,
``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``,
``${VAR:+replacement}``, ``${VAR+replacement}`` (nested in defaults), and
``$$`` for a literal dollar; then values that came from a substitution are
cast to the type the specification wants at that place."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hullbox.compose.paths_match import PathPattern
from hullbox.compose.yamlsrc import Override, Reset

Lookup = Callable[[str], "str | None"]

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")


class _Substitution:
    def __init__(self, lookup: Lookup, on_missing: Callable[[str], None] | None) -> None:
        self.lookup = lookup
        self.on_missing = on_missing

    def expand(self, text: str) -> str:
        out: list[str] = []
        i = 0
        while i < len(text):
            dollar = text.find("$", i)
            if dollar < 0:
                out.append(text[i:])
                break
            out.append(text[i:dollar])
            i = dollar + 1
            if i < len(text) and text[i] == "$":
                out.append("$")
                i += 1
            elif i < len(text) and text[i] == "{":
                close = _closing_brace(text, i + 1)
                if close < 0:
                    raise ValueError(f'invalid template: "{text}"')
                out.append(self.braced(text[i + 1:close], text))
                i = close + 1
            else:
                name = _NAME.match(text, i)
                if name is None:
                    out.append("$")  # a lone dollar stays as it is
                    continue
                out.append(self.value(name.group()))
                i = name.end()
        return "".join(out)

    def value(self, name: str) -> str:
        found = self.lookup(name)
        if found is None:
            if self.on_missing is not None:
                self.on_missing(name)
            return ""
        return found

    def braced(self, body: str, template: str) -> str:
        name = _NAME.match(body)
        if name is None:
            raise ValueError(f'invalid template: "{template}"')
        rest = body[name.end():]
        var = name.group()
        if not rest:
            return self.value(var)
        current = self.lookup(var)
        for operator in (":-", ":?", ":+", "-", "?", "+"):
            if rest.startswith(operator):
                argument = rest[len(operator):]
                break
        else:
            raise ValueError(f'invalid template: "{template}"')
        unset = current is None or (operator.startswith(":") and current == "")
        if operator.endswith("-"):
            return self.expand(argument) if unset else str(current)
        if operator.endswith("+"):
            return "" if unset else self.expand(argument)
        if unset:
            message = self.expand(argument)
            detail = f": {message}" if message else ""
            raise ValueError(f"required variable {var} is missing a value{detail}")
        return str(current)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def substitute(template: str, lookup: Lookup,
               on_missing: Callable[[str], None] | None = None) -> str:
    """``template`` with its variables replaced; ValueError for a malformed
    template or a required variable that is missing."""
    return _Substitution(lookup, on_missing).expand(template)


# Where a substituted string becomes a boolean or a number, as compose-go casts.
_BOOL = "bool"
_INT = "int"
_FLOAT = "float"
_CASTS: list[tuple[PathPattern, str]] = [
    (PathPattern(f"services.*.{path}"), kind) for path, kind in [
        ("configs.[].mode", _INT), ("secrets.[].mode", _INT), ("build.secrets.[].mode", _INT),
        ("cpu_count", _INT), ("cpu_percent", _FLOAT), ("cpu_period", _INT),
        ("cpu_quota", _INT), ("cpu_rt_period", _INT), ("cpu_rt_runtime", _INT),
        ("cpus", _FLOAT), ("cpu_shares", _INT), ("init", _BOOL),
        ("build.privileged", _BOOL), ("build.no_cache", _BOOL), ("build.pull", _BOOL),
        ("deploy.replicas", _INT), ("deploy.update_config.parallelism", _INT),
        ("deploy.update_config.max_failure_ratio", _FLOAT),
        ("deploy.rollback_config.parallelism", _INT),
        ("deploy.rollback_config.max_failure_ratio", _FLOAT),
        ("deploy.restart_policy.max_attempts", _INT),
        ("deploy.placement.max_replicas_per_node", _INT),
        ("deploy.resources.limits.cpus", _FLOAT), ("deploy.resources.limits.pids", _INT),
        ("deploy.resources.reservations.cpus", _FLOAT),
        ("deploy.resources.reservations.generic_resources.[].discrete_resource_spec.value",
         _INT),
        ("healthcheck.retries", _INT), ("healthcheck.disable", _BOOL),
        ("mem_swappiness", _INT), ("oom_kill_disable", _BOOL), ("oom_score_adj", _INT),
        ("pids_limit", _INT), ("ports.[].target", _INT), ("privileged", _BOOL),
        ("read_only", _BOOL), ("scale", _INT), ("stdin_open", _BOOL), ("tty", _BOOL),
        ("ulimits.*", _INT), ("ulimits.*.hard", _INT), ("ulimits.*.soft", _INT),
        ("volumes.[].read_only", _BOOL), ("volumes.[].volume.nocopy", _BOOL),
        ("volumes.[].bind.create_host_path", _BOOL), ("volumes.[].tmpfs.mode", _INT),
        ("depends_on.*.required", _BOOL), ("depends_on.*.restart", _BOOL),
        ("use_api_socket", _BOOL),
    ]
] + [
    (PathPattern(f"{section}.*.external"), _BOOL)
    for section in ("networks", "volumes", "secrets", "configs")
] + [
    (PathPattern(f"networks.*.{key}"), _BOOL)
    for key in ("internal", "attachable", "enable_ipv4", "enable_ipv6")
]

_TRUE = {"y", "yes", "true", "on"}
_FALSE = {"n", "no", "false", "off"}


def _cast(value: str, kind: str, path: str) -> Any:
    try:
        if kind == _BOOL:
            lowered = value.lower()
            if lowered in _TRUE or lowered in _FALSE:
                return lowered in _TRUE
            raise ValueError
        if kind == _INT:
            return int(value, 0) if value.lower().startswith(("0x", "0o")) else int(value)
        return float(value)
    except ValueError:
        raise ValueError(f"{path}: invalid {'boolean' if kind == _BOOL else 'number'} "
                         f"{value!r}") from None


def interpolate(model: Any, lookup: Lookup, on_missing: Callable[[str], None] | None = None,
                path: tuple[str, ...] = ()) -> Any:
    """A copy of ``model`` with every string value substituted (keys are
    left alone) and substituted values cast where the specification says.
    ValueError messages start with the dotted path of the value."""
    if isinstance(model, dict):
        return {key: interpolate(value, lookup, on_missing, (*path, str(key)))
                for key, value in model.items()}
    if isinstance(model, list):
        return [interpolate(item, lookup, on_missing, (*path, f"[{index}]"))
                for index, item in enumerate(model)]
    if isinstance(model, str) and "$" in model:
        dotted = ".".join(path).replace(".[", "[")
        try:
            value = substitute(model, lookup, on_missing)
        except ValueError as exc:
            raise ValueError(f"{dotted}: {exc}") from None
        for pattern, kind in _CASTS:
            if pattern.matches(path):
                return _cast(value, kind, dotted)
        return value
    if isinstance(model, Reset):
        return model
    if isinstance(model, Override):
        return Override(interpolate(model.value, lookup, on_missing, path))
    return model
