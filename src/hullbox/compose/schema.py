"""Validation of each compose file against the Compose Specification's JSON
schema (vendored beside this module, see compose-spec.NOTICE), with errors
that name the place in the file: ``services.web.ports[0]: ...``."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from hullbox.compose import schema_verdicts
from hullbox.errors import ComposeFileError


@functools.cache
def _validator() -> Any:
    import jsonschema  # type: ignore[import-untyped]  # lazily: only compose needs it

    text = resources.files("hullbox.compose").joinpath("compose-spec.json").read_text()
    schema = json.loads(text)
    return jsonschema.Draft7Validator(schema)


def dotted(path: Iterable[Any]) -> str:
    """``("services", "web", "ports", 0)`` as ``services.web.ports[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _type_names(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    words = {"object": "a mapping", "array": "a list", "string": "a string",
             "integer": "an integer", "number": "a number", "boolean": "a boolean",
             "null": "null"}
    return " or ".join(words.get(name, name) for name in names)


def describe(error: Any) -> str:
    """One line for one jsonschema error."""
    import jsonschema

    where = dotted(error.absolute_path)
    if error.validator in ("oneOf", "anyOf") and error.context:
        # The branch that got furthest says the most; a scalar that fits no
        # branch is described by the types that would have been accepted.
        specific = [e for e in error.context if e.validator != "type"]
        if specific:
            return describe(max(specific, key=lambda e: len(e.absolute_path)))
        types = [e.validator_value for e in error.context if e.validator == "type"]
        if types:
            flat = [t for group in types for t in ([group] if isinstance(group, str) else group)]
            return f"{where or '(top level)'} must be {_type_names(dict.fromkeys(flat))}"
        return describe(jsonschema.exceptions.best_match(error.context))
    prefix = f"{where}: " if where else ""
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        patterns = error.schema.get("patternProperties", {})
        import re

        extra = [key for key in error.instance if key not in allowed
                 and not any(re.search(p, key) for p in patterns)]
        names = ", ".join(repr(key) for key in extra)
        return f"{prefix}additional properties {names} not allowed"
    if error.validator == "type":
        return f"{where or '(top level)'} must be {_type_names(error.validator_value)}"
    if error.validator == "required":
        return f"{prefix}{error.message.split(' is a required')[0]} is required"
    if error.validator == "enum":
        return f"{where} must be one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "uniqueItems":
        return f"{where}: the items must be unique"
    return f"{prefix}{error.message}"


def validate(model: dict[str, Any], filename: str) -> None:
    """Raise ComposeFileError for the first schema violation of ``model``;
    a model that passed before is not checked again (schema_verdicts)."""
    key = schema_verdicts.verdict_key(model)
    if key is not None and schema_verdicts.known_valid(key):
        return
    errors = sorted(_validator().iter_errors(model),
                    key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if errors:
        raise ComposeFileError(f"{filename}: {describe(errors[0])}")
    if key is not None:
        schema_verdicts.remember_valid(key)
