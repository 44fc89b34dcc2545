"""From compose files to one merged model: each file is parsed, validated
against the schema, interpolated, put in long syntax, its ``include``s and
``extends`` applied; then the files are merged in order and relative paths
made absolute against the project directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hullbox.compose import schema
from hullbox.compose.canonical import canonical_model
from hullbox.compose.dotenv import read_env_file
from hullbox.compose.interpolation import interpolate
from hullbox.compose.merge import merge_models, merge_values, strip_markers
from hullbox.compose.paths import resolve_paths, resolve_service_paths
from hullbox.compose.yamlsrc import parse_yaml
from hullbox.errors import ComposeFileError


class ModelLoader:
    """Loads compose files with one environment; keeps the warnings (unset
    variables) for the caller to print."""

    def __init__(self, environment: dict[str, str], home: str,
                 stdin_text: str | None = None, cwd: str | None = None) -> None:
        self.environment = environment
        self.cwd = cwd or os.getcwd()
        self.home = home
        self.stdin_text = stdin_text
        self.warnings: list[str] = []
        self._cache: dict[str, dict[str, Any]] = {}

    def display(self, path: str) -> str:
        """``path`` relative to the user's directory, for messages."""
        return display(path, self.cwd)

    # -- one file ------------------------------------------------------------
    def read(self, path: str) -> str:
        if path == "-":
            if self.stdin_text is None:
                import sys

                self.stdin_text = sys.stdin.read()
            return self.stdin_text
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ComposeFileError(f"{self.display(path)}: {exc.strerror}") from None

    def raw(self, path: str) -> dict[str, Any]:
        """The file as parsed and checked against the schema."""
        model = parse_yaml(self.read(path), self.display(path))
        services = model.get("services")
        if isinstance(services, dict):  # `name:` with nothing under it is an empty service
            model["services"] = {k: {} if v is None else v for k, v in services.items()}
        schema.validate(strip_markers(model), self.display(path))
        return model

    def _missing(self, name: str) -> None:
        message = f'The "{name}" variable is not set. Defaulting to a blank string.'
        if message not in self.warnings:
            self.warnings.append(message)

    def processed(self, path: str, workdir: str, chain: tuple[str, ...] = ()) -> dict[str, Any]:
        """One file interpolated, in long syntax, with includes and extends applied."""
        if path in self._cache:
            return self._cache[path]
        raw = self.raw(path)
        try:
            model: dict[str, Any] = interpolate(raw, self.environment.get, self._missing)
        except ValueError as exc:
            raise ComposeFileError(f"{self.display(path)}: {exc}") from None
        try:
            model = canonical_model(model)
        except ValueError as exc:
            raise ComposeFileError(f"{self.display(path)}: {exc}") from None
        includes = model.pop("include", None)
        if includes:
            model = self._apply_includes(model, includes, path, workdir, (*chain, path))
        model = self._apply_extends(model, path)
        self._cache[path] = model
        return model

    # -- extends ---------------------------------------------------------------
    def _apply_extends(self, model: dict[str, Any], path: str) -> dict[str, Any]:
        services = model.get("services")
        if not isinstance(services, dict) or not any(
                isinstance(s, dict) and "extends" in s for s in services.values()):
            return model
        resolved = {name: self._extended(path, services, name, ())
                    for name in services}
        return {**model, "services": resolved}

    def _extended(self, path: str, services: dict[str, Any], name: str,
                  chain: tuple[tuple[str, str], ...]) -> dict[str, Any]:
        if name not in services:
            raise ComposeFileError(f"{self.display(path)}: cannot extend service {name!r}: "
                                   "no such service in that file")
        service = services[name] or {}
        extends = service.get("extends")
        if not extends:
            return dict(service)
        if (path, name) in chain:
            cycle = " -> ".join(f"{s}" for _f, s in (*chain, (path, name)))
            raise ComposeFileError(
                f"{self.display(path)}: circular reference with extends: {cycle}")
        base_path = path
        base_services = services
        if extends.get("file"):
            base_path = os.path.normpath(os.path.join(os.path.dirname(path), extends["file"]))
            base_model = self.processed(base_path, os.path.dirname(base_path))
            base_services = base_model.get("services") or {}
        base = self._extended(base_path, base_services, extends["service"],
                              (*chain, (path, name)))
        if base_path != path:
            base = resolve_service_paths(base, os.path.dirname(base_path), self.home)
        own = {k: v for k, v in service.items() if k != "extends"}
        merged = merge_values(base, own, ("services", name))
        return strip_markers(merged)  # type: ignore[no-any-return]

    # -- include ---------------------------------------------------------------
    def _apply_includes(self, model: dict[str, Any], includes: list[Any], path: str,
                        workdir: str, chain: tuple[str, ...]) -> dict[str, Any]:
        here = os.path.dirname(path) if path != "-" else workdir
        for entry in includes:
            spec = {"path": entry} if isinstance(entry, str) else dict(entry)
            paths = [spec["path"]] if isinstance(spec["path"], str) else list(spec["path"])
            files = [os.path.normpath(os.path.join(here, p)) for p in paths]
            for file in files:
                if file in chain:
                    raise ComposeFileError(
                        f"{self.display(path)}: include cycle detected: "
                        + " -> ".join(self.display(f) for f in (*chain, file)))
            sub_dir = os.path.normpath(os.path.join(here, spec["project_directory"])) \
                if spec.get("project_directory") else os.path.dirname(files[0])
            sub_env = dict(self.environment)
            env_files = spec.get("env_file")
            env_paths = ([env_files] if isinstance(env_files, str) else env_files) \
                if env_files else [os.path.join(sub_dir, ".env")]
            for env_path in env_paths:
                env_path = os.path.join(here, env_path)
                if env_files or os.path.exists(env_path):
                    for key, value in read_env_file(env_path, sub_env.get).items():
                        sub_env.setdefault(key, value)
            sub = ModelLoader(sub_env, self.home, cwd=self.cwd)
            included: dict[str, Any] = {}
            for file in files:
                included = merge_models(included, sub.processed(file, sub_dir, chain))
            included = resolve_paths(included, sub_dir, self.home)
            self.warnings.extend(w for w in sub.warnings if w not in self.warnings)
            model = _merge_included(model, included, path)
        return model


def _merge_included(model: dict[str, Any], included: dict[str, Any],
                    path: str) -> dict[str, Any]:
    out = dict(model)
    for section in ("services", "networks", "volumes", "secrets", "configs", "models"):
        theirs = included.get(section)
        if not isinstance(theirs, dict):
            continue
        ours = dict(out.get(section) or {})
        for name, value in theirs.items():
            if name in ours and ours[name] != value:
                raise ComposeFileError(
                    f"{display(path)}: {section}.{name} conflicts with imported resource")
            ours[name] = value
        out[section] = ours
    return out


def display(path: str, cwd: str | None = None) -> str:
    """A file named as the user would recognise it: relative to the current
    directory when it is below it."""
    if path == "-":
        return "(stdin)"
    relative = os.path.relpath(path, cwd or os.getcwd())
    return path if relative.startswith("..") else relative
