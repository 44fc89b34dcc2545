"""Shell wildcard patterns for ``${V#p}``, ``${V%p}`` and ``${V/p/r}``, as BuildKit.

BuildKit turns the pattern into a regular expression: ``*`` is any run of
characters (shortest, or longest for ``##``/``%%``/``/``), ``?`` is one
character, ``\\`` escapes ``*``, ``?`` and itself (and hides the ``}`` or ``/``
that would otherwise end the ``${}``). Bracket expressions are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Characters of a shell pattern that are literal but special in a regex.
_REGEX_META = frozenset("[]{}.+()|^$")


class PatternError(ValueError):
    """A pattern with an escape that means nothing (``\\x``)."""


def pattern_regex(pattern: str, *, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """A shell wildcard pattern (``*``, ``?``, ``\\`` escapes; no brackets) as a regex.

    ``*`` is lazy unless ``greedy``; ``anchored`` ties the match to the start.
    """
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i = 0
    while i < len(pattern):
        tok = pattern[i]
        i += 1
        if tok == "*":
            out.append(star)
        elif tok == "?":
            out.append(".")
        elif tok == "\\":
            # "\}" and "\/" only protect the ${} syntax; the escape is not part of it.
            following = pattern[i] if i < len(pattern) else None
            if following in ("}", "/"):
                continue
            if following not in ("*", "?", "\\"):
                shown = following if following is not None else "\ufffd"
                raise PatternError(f"invalid escape '\\{shown}'")
            out.append("\\" + following)
            i += 1
        elif tok in _REGEX_META:
            out.append("\\" + tok)
        else:
            out.append(re.escape(tok))
    return re.compile("".join(out))


def trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    """``${V#pattern}`` (``greedy``: ``##``): drop the matching prefix."""
    match = pattern_regex(pattern, greedy=greedy, anchored=True).search(value)
    return value[match.end() :] if match else value


def reverse_pattern(pattern: str) -> str:
    """The pattern backwards, keeping each escape before what it escapes."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i != len(pattern) - 1:
            out.append(pattern[i : i + 2])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(reversed(out))


def trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    """``${V%pattern}`` (``greedy``: ``%%``): drop the matching suffix."""
    # A regex cannot find the shortest match that ends at the end, so search
    # the reversed value with the reversed pattern from the start instead.
    return trim_prefix(reverse_pattern(pattern), value[::-1], greedy)[::-1]


def go_replace_all(
    regex: re.Pattern[str], text: str, replace: Callable[[re.Match[str]], str]
) -> str:
    """Go's ``ReplaceAllString`` loop.

    Unlike Python's ``re.sub``, Go drops an empty match that directly follows
    another match, so ``x*`` over ``abxd`` gives ``-a-b-d-``, not ``-a-b--d-``.
    """
    out: list[str] = []
    last_end = 0
    pos = 0
    while pos <= len(text):
        match = regex.search(text, pos)
        if match is None:
            break
        out.append(text[last_end : match.start()])
        if match.end() > last_end or match.start() == 0:
            out.append(replace(match))
        last_end = match.end()
        pos = pos + 1 if pos + 1 > match.end() else match.end()
    out.append(text[last_end:])
    return "".join(out)


_TEMPLATE = re.compile(r"\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def go_expand(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.ReplaceAllString`` template: ``$0``/``${0}`` and ``$$``.

    Only group 0 exists in a shell pattern, so any other name is empty.
    """

    def one(ref: re.Match[str]) -> str:
        if ref.group(0) == "$$":
            return "$"
        name = ref.group(1) or ref.group(2)
        return match.group(0) if name == "0" else ""

    return _TEMPLATE.sub(one, template)
