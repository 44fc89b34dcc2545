"""``.env`` files as compose-go's dotenv reads them: ``KEY=value``,
``export KEY=value``, ``KEY: value``, single quotes literal, double quotes with
escapes, inline ``#`` comments after unquoted values, multi-line quoted values,
``${VAR}`` expanded from the lines above and the environment, and a bare
``KEY`` taken from the environment when it is set there."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from hullbox.errors import ComposeFileError

_KEY_CHARS = re.compile(r"[A-Za-z0-9_.\-\[\]]")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "$$", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v"}

Lookup = Callable[[str], "str | None"]


def read_env_file(path: str | Path, lookup: Lookup | None = None) -> dict[str, str]:
    """The variables of one file; ``lookup`` answers ``${VAR}`` and bare keys
    not defined above (usually the process environment)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ComposeFileError(f"env file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ComposeFileError(f"env file {path}: not UTF-8 text") from None
    try:
        return parse_env(text, lookup)
    except ValueError as exc:
        raise ComposeFileError(f"env file {path}: {exc}") from None


def parse_env(text: str, lookup: Lookup | None = None) -> dict[str, str]:
    """Parse ``.env`` text; raises ValueError naming the line of a bad entry."""
    from hullbox.compose.interpolation import substitute

    lookup = lookup or (lambda _name: None)
    out: dict[str, str] = {}

    def resolve(name: str) -> str | None:
        return out[name] if name in out else lookup(name)

    text = text.replace("\r\n", "\n")
    pos, line_no = 0, 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].strip()
        if not line or line.startswith("#"):
            line_no += text.count("\n", pos, end + 1)
            pos = end + 1
            continue
        start = pos + (len(text[pos:end]) - len(text[pos:end].lstrip()))
        key, rest_at = _read_key(text, start, line_no)
        if rest_at is None:  # a bare KEY: inherited from the environment
            inherited = lookup(key)
            if inherited is not None:
                out[key] = inherited
            line_no += 1
            pos = end + 1
            continue
        value, expand, pos = _read_value(text, rest_at, line_no)
        line_no += text.count("\n", start, pos)
        if expand:
            try:
                value = substitute(value, resolve)
            except ValueError as exc:
                raise ValueError(f"line {line_no}: {exc}") from None
        out[key] = value
    return out


def _read_key(text: str, start: int, line_no: int) -> tuple[str, int | None]:
    """The key at ``start`` and where its value begins (None: no ``=``)."""
    if text.startswith("export ", start):
        start += len("export ")
        while text[start] in " \t":
            start += 1
    pos = start
    while pos < len(text) and _KEY_CHARS.match(text[pos]):
        pos += 1
    key = text[start:pos]
    rest = text[pos:text.find("\n", pos) if "\n" in text[pos:] else len(text)]
    stripped = rest.lstrip(" \t")
    if not stripped or stripped.startswith("#"):
        if not key:
            raise ValueError(f"line {line_no}: no variable name")
        return key, None
    if stripped[0] not in "=:" or not key:
        bad = rest[0] if key else text[start]
        raise ValueError(
            f"line {line_no}: unexpected character {bad!r} in variable name "
            f"{(key + rest).strip()!r}"
        )
    return key, pos + (len(rest) - len(stripped)) + 1


def _read_value(text: str, pos: int, line_no: int) -> tuple[str, bool, int]:
    """(value, whether to expand ``${}``, position after the line)."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    quote = text[pos] if pos < len(text) and text[pos] in "'\"" else ""
    if quote:
        i = pos + 1
        while i < len(text) and text[i] != quote:
            i += 2 if text[i] == "\\" else 1  # a backslash escapes the next character
        if i >= len(text):
            raise ValueError(f"line {line_no}: unterminated quoted value")
        raw = text[pos + 1:i]
        end = text.find("\n", i)
        end = len(text) if end < 0 else end
        if quote == "'":
            return raw.replace("\\'", "'"), False, end + 1
        unescaped = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)),
                           raw, flags=re.S)
        return unescaped, True, end + 1
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    value = text[pos:end]
    comment = re.search(r"\s#", value)
    if comment:
        value = value[:comment.start()]
    return value.strip(), True, end + 1


def env_from_mapping(values: Mapping[str, str]) -> Lookup:
    """A lookup over a mapping."""
    return values.get
