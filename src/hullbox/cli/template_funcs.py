"""The functions of Go's text/template and docker's additions (join, split,
lower, upper, title, truncate, pad), and fmt's printing of values: ``<nil>``,
``[a b]``, ``map[k:v]``, ``true``, Go's floats; ``printf``'s verbs."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any


class FunctionError(Exception):
    """A function refused its arguments: Go's ``error calling NAME: ...``."""


def truth(value: Any) -> bool:
    """Go's truth: false, 0, nil and empty strings, lists and maps are false."""
    return value is not None and value is not False and value != 0 and (
        not isinstance(value, str | list | dict | tuple) or len(value) > 0)


def go_float(number: float) -> str:
    """strconv's shortest 'g' form, as fmt's %v prints a float64: ``1.5``,
    ``123456``, ``1e+06``."""
    if number != number or number in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(number)]
    exact = Decimal(repr(number)).normalize()
    sign, digits, exponent = exact.as_tuple()
    power = len(digits) + int(exponent) - 1
    if number == 0:
        return "-0" if sign else "0"
    if power < -4 or power >= 6:
        rest = "".join(map(str, digits[1:]))
        head = ("-" if sign else "") + str(digits[0]) + (f".{rest}" if rest else "")
        return f"{head}e{'-' if power < 0 else '+'}{abs(power):02d}"
    return format(exact, "f")


def go_value(value: Any) -> str:
    """fmt's %v of a value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def go_json_value(value: Any, *, escape_html: bool = False, sort_keys: bool = False) -> str:
    """encoding/json's compact form; docker's listing rows (a map marshalled
    by json.Marshal) have sorted keys and <, >, & escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if escape_html:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text


def go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\\/", "/")


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def _verb(flags: str, verb: str, precision: str | None, value: Any) -> str:
    if value is None:
        return "<nil>" if verb == "v" else f"%!{verb}(<nil>)"
    if verb == "d" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:{'+' if '+' in flags else ''}d}"
    if verb in "xX" and isinstance(value, int | str) and not isinstance(value, bool):
        text = format(value, "x") if isinstance(value, int) else value.encode().hex()
        return text.upper() if verb == "X" else text
    if verb == "f" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.{precision or 6}f}"
    if verb == "q" and isinstance(value, str):
        return go_quote(value)
    if verb == "t" and isinstance(value, bool):
        return go_value(value)
    if verb in "sv" and not (verb == "s" and isinstance(value, bool)):
        text = go_value(value)
        return text[:int(precision)] if precision is not None and verb == "s" else text
    kind = {bool: "bool", int: "int", float: "float64", str: "string"}.get(type(value), "")
    return f"%!{verb}({kind or type(value).__name__}={go_value(value)})"


def go_sprintf(form: str, args: list[Any]) -> str:
    """fmt.Sprintf for the verbs templates use: %s %v %d %q %t %x %f, widths."""
    queue = list(args)

    def one(match: re.Match[str]) -> str:
        flags, width, precision, verb = match.groups()
        if verb == "%":
            return "%"
        if not queue:
            return f"%!{verb}(MISSING)"
        text = _verb(flags, verb, precision, queue.pop(0))
        if width:
            fill = "0" if "0" in flags and "-" not in flags and verb in "dxXf" else " "
            text = text.ljust(int(width)) if "-" in flags else text.rjust(int(width), fill)
        return text

    result = _VERB.sub(one, form)
    if queue:
        result += "%!(EXTRA " + ", ".join(
            f"{ {bool: 'bool', int: 'int', str: 'string'}.get(type(v), type(v).__name__)}"
            f"={go_value(v)}" for v in queue) + ")"
    return result


def go_sprint(args: list[Any]) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    text = ""
    for at, value in enumerate(args):
        if at and not isinstance(value, str) and not isinstance(args[at - 1], str):
            text += " "
        text += go_value(value)
    return text


def _compare(name: str, left: Any, right: Any) -> bool:
    if name == "eq":
        return bool(left == right)
    if name == "ne":
        return bool(left != right)
    numbers = (int, float)
    if not ((isinstance(left, numbers) and isinstance(right, numbers))
            or (isinstance(left, str) and isinstance(right, str))):
        raise FunctionError("incompatible types for comparison")
    order: Callable[[Any, Any], bool] = {"lt": operator.lt, "le": operator.le,
                                         "gt": operator.gt, "ge": operator.ge}[name]
    return order(left, right)


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise FunctionError("missing argument for comparison")
    return any(_compare("eq", first, other) for other in others)


def _length(value: Any) -> int:
    if not isinstance(value, str | list | dict | tuple):
        raise FunctionError(f"len of type {type(value).__name__}")
    return len(value)


def _pad(value: Any, before: int, after: int) -> str:
    return " " * before + go_value(value) + " " * after


def _truncate(value: Any, length: int) -> str:
    return go_value(value)[:length]


def _title(value: Any) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), go_value(value))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "eq": _eq,
    "ne": lambda a, b: _compare("ne", a, b),
    "lt": lambda a, b: _compare("lt", a, b),
    "le": lambda a, b: _compare("le", a, b),
    "gt": lambda a, b: _compare("gt", a, b),
    "ge": lambda a, b: _compare("ge", a, b),
    "not": lambda a: not truth(a),
    "len": _length,
    "print": lambda *a: go_sprint(list(a)),
    "println": lambda *a: " ".join(go_value(v) for v in a) + "\n",
    "printf": lambda form, *a: go_sprintf(form, list(a)),
    "join": lambda items, sep: sep.join(go_value(i) for i in items or []),
    "split": lambda text, sep: go_value(text).split(sep),
    "lower": lambda value: go_value(value).lower(),
    "upper": lambda value: go_value(value).upper(),
    "title": _title,
    "truncate": _truncate,
    "pad": _pad,
    # evaluated by the executor, which knows the value's place and the root
    "and": lambda *a: a[-1], "or": lambda *a: a[-1], "index": lambda *a: None,
    "json": lambda value: None,
}
