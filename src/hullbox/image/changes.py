"""``--change`` instructions: the Dockerfile instructions that ``docker import``
and ``docker commit`` apply to an image config.

``CMD ["a", "b"]`` is the exec form; anything that is not a JSON list of strings
is the shell form, run as ``/bin/sh -c``. ENV and LABEL take ``k=v ...`` (quotes
as in a Dockerfile) or the legacy ``k v``.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import signal
from collections.abc import Callable
from dataclasses import replace

from hullbox.errors import InvalidArgument
from hullbox.oci.image import ContainerConfig

SHELL = ["/bin/sh", "-c"]
_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.IGNORECASE)
_RTSIG = re.compile(r"^RTM(?:IN|AX)(?:[+-]\d+)?$")


def apply_changes(config: ContainerConfig, changes: list[str]) -> ContainerConfig:
    """A copy of ``config`` with each instruction applied in order; an
    instruction that is malformed or not allowed raises InvalidArgument naming it."""
    out = replace(
        config,
        env=list(config.env),
        labels=dict(config.labels),
        exposed_ports=dict(config.exposed_ports),
        volumes=dict(config.volumes),
    )
    cmd_set = False
    for change in changes:
        words = change.strip().split(None, 1)
        keyword = words[0].upper() if words else ""
        rest = words[1] if len(words) > 1 else ""
        handler = _HANDLERS.get(keyword)
        if handler is None:
            raise InvalidArgument(
                f"invalid change {change!r}: {keyword or 'an empty instruction'} is not "
                f"supported; use one of {', '.join(sorted(_HANDLERS))}"
            )
        rest = rest.strip()
        if not rest:
            raise InvalidArgument(f"invalid change {change!r}: {keyword} needs an argument")
        try:
            handler(out, rest)
        except ValueError as exc:
            raise InvalidArgument(f"invalid change {change!r}: {exc}") from exc
        cmd_set = cmd_set or keyword == "CMD"
        if keyword == "ENTRYPOINT" and not cmd_set:
            out.cmd = None  # Docker: a new ENTRYPOINT drops a CMD it did not set itself
    return out


def _json_list(text: str) -> list[str] | None:
    """The exec form when ``text`` is a JSON list of strings, else None."""
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _command(text: str) -> list[str]:
    exec_form = _json_list(text)
    return exec_form if exec_form is not None else [*SHELL, text]


def _cmd(config: ContainerConfig, text: str) -> None:
    config.cmd = _command(text)


def _entrypoint(config: ContainerConfig, text: str) -> None:
    config.entrypoint = _command(text)


def _pairs(text: str, keyword: str) -> list[tuple[str, str]]:
    """``k=v k2="v 2"`` or the legacy ``k value with spaces``."""
    first = text.split(None, 1)
    if "=" not in first[0]:
        if len(first) < 2:
            raise ValueError(f"{keyword} needs a value: {keyword} name=value")
        return [(first[0], first[1].strip())]
    try:
        words = shlex.split(text, posix=True)
    except ValueError as exc:
        raise ValueError(f"{keyword}: {exc}") from exc
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise ValueError(f"{keyword}: {word!r} is not of the form name=value")
        pairs.append((key, value))
    return pairs


def _env(config: ContainerConfig, text: str) -> None:
    for key, value in _pairs(text, "ENV"):
        config.env = [e for e in config.env if e.partition("=")[0] != key]
        config.env.append(f"{key}={value}")


def _label(config: ContainerConfig, text: str) -> None:
    for key, value in _pairs(text, "LABEL"):
        config.labels[key] = value


def _expose(config: ContainerConfig, text: str) -> None:
    for word in text.split():
        match = _PORT.match(word)
        if not match:
            raise ValueError(f"EXPOSE: {word!r} is not a port (80, 80/tcp, 8000-8010/udp)")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        proto = (match.group(3) or "tcp").lower()
        if not 0 < low <= high <= 65535:
            raise ValueError(f"EXPOSE: {word!r} is not a port range within 1-65535")
        for port in range(low, high + 1):
            config.exposed_ports[f"{port}/{proto}"] = {}


def _one_word(text: str, keyword: str) -> str:
    words = text.split()
    if len(words) != 1:
        raise ValueError(f"{keyword} takes exactly one argument")
    return words[0]


def _user(config: ContainerConfig, text: str) -> None:
    config.user = _one_word(text, "USER")


def _volume(config: ContainerConfig, text: str) -> None:
    paths = _json_list(text)
    for path in paths if paths is not None else text.split():
        if not path.strip():
            raise ValueError("VOLUME: a volume path is empty")
        config.volumes[path] = {}


def _workdir(config: ContainerConfig, text: str) -> None:
    # A relative WORKDIR is relative to the previous one.
    config.working_dir = posixpath.normpath(posixpath.join("/", config.working_dir or "/", text))


def _healthcheck(config: ContainerConfig, text: str) -> None:
    from hullbox.image.healthcheck import parse_healthcheck

    config.healthcheck = parse_healthcheck(text)


def _stopsignal(config: ContainerConfig, text: str) -> None:
    sig = _one_word(text, "STOPSIGNAL")
    if sig.isdigit():
        if not 0 < int(sig) <= 64:
            raise ValueError(f"STOPSIGNAL: {sig} is not a signal number (1-64)")
    else:
        name = sig.upper().removeprefix("SIG")
        if not (hasattr(signal.Signals, "SIG" + name) or _RTSIG.match(name)):
            raise ValueError(f"STOPSIGNAL: {sig!r} is not a signal name")
    config.stop_signal = sig


_HANDLERS: dict[str, Callable[[ContainerConfig, str], None]] = {
    "CMD": _cmd,
    "ENTRYPOINT": _entrypoint,
    "ENV": _env,
    "EXPOSE": _expose,
    "HEALTHCHECK": _healthcheck,
    "LABEL": _label,
    "USER": _user,
    "VOLUME": _volume,
    "WORKDIR": _workdir,
    "STOPSIGNAL": _stopsignal,
}
