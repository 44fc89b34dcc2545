"""How a compose project is found, as docker compose finds it: ``-f`` files or
``COMPOSE_FILE`` or ``compose.yaml`` (and ``compose.override.yaml``) in the
working directory or above; ``.env`` (or ``--env-file``) read before the
files are known and again from the project directory; the name from ``-p``,
``COMPOSE_PROJECT_NAME``, ``name:`` or the directory."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from hullbox.compose.dotenv import read_env_file
from hullbox.compose.interpolation import substitute
from hullbox.compose.loader import ModelLoader, display
from hullbox.compose.merge import merge_models
from hullbox.compose.paths import resolve_paths
from hullbox.compose.project import (
    Project,
    apply_defaults,
    check_consistency,
    resolve_service_environment,
    select_profiles,
)
from hullbox.errors import ComposeFileError

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_FILES = ("compose.override.yaml", "compose.override.yml",
                  "docker-compose.override.yaml", "docker-compose.override.yml")
_VALID_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass
class ProjectOptions:
    """The global flags of ``hullbox compose``."""

    files: list[str] = field(default_factory=list)
    project_name: str | None = None
    project_directory: str | None = None
    env_files: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    environment: dict[str, str] | None = None  # default: the process environment
    cwd: str | None = None
    home: str | None = None


def _add_env_files(environment: dict[str, str], paths: list[str]) -> None:
    """Variables of the files that the environment does not set already."""
    for path in paths:
        if not os.path.isfile(path):
            raise ComposeFileError(f"env file {path} not found")
        for key, value in read_env_file(path, environment.get).items():
            environment.setdefault(key, value)


def _find_default_files(start: str) -> list[str]:
    directory = start
    while True:
        for name in DEFAULT_FILES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                found = [candidate]
                for override in OVERRIDE_FILES:
                    extra = os.path.join(directory, override)
                    if os.path.isfile(extra):
                        found.append(extra)
                        break
                return found
        parent = os.path.dirname(directory)
        if parent == directory:
            raise ComposeFileError(
                f"no configuration file provided: none of {', '.join(DEFAULT_FILES)} "
                f"in {start} or above; name one with -f")
        directory = parent


def normalize_project_name(name: str) -> str:
    """A directory name as a project name: lower case, [a-z0-9_-] only."""
    cleaned = re.sub(r"[^a-z0-9_-]", "", name.lower())
    return cleaned.lstrip("_-")


def _valid_name(name: str, origin: str) -> str:
    if not _VALID_NAME.match(name):
        raise ComposeFileError(
            f"invalid project name {name!r} ({origin}): use lowercase letters, digits, "
            "dashes and underscores, starting with a letter or digit")
    return name


def _project_name(options: ProjectOptions, environment: dict[str, str],
                  raws: list[dict[str, Any]], project_dir: str) -> str:
    if options.project_name:
        return _valid_name(options.project_name, "-p")
    if environment.get("COMPOSE_PROJECT_NAME"):
        return _valid_name(environment["COMPOSE_PROJECT_NAME"], "COMPOSE_PROJECT_NAME")
    name = ""
    for raw in raws:
        if isinstance(raw.get("name"), str) and raw["name"]:
            try:
                name = substitute(raw["name"], environment.get)
            except ValueError as exc:
                raise ComposeFileError(f"name: {exc}") from None
    if name:
        return _valid_name(name, "the name attribute")
    derived = normalize_project_name(os.path.basename(os.path.abspath(project_dir)))
    if not derived:
        raise ComposeFileError(f"cannot derive a project name from {project_dir}; "
                               "give one with -p")
    return derived


def load_project(options: ProjectOptions, services: list[str] | None = None,
                 *, normalize: bool = True, consistency: bool = True) -> Project:
    """Find, read and merge the project's files. ``services`` limits the
    environment resolution to those (and their dependencies) and enables them
    whatever their profiles; ``normalize`` adds compose's defaults;
    ``consistency`` refuses references to undefined things (compose-go's
    loader tests turn both off)."""
    cwd = options.cwd or os.getcwd()
    environment = dict(os.environ if options.environment is None else options.environment)
    home = options.home or environment.get("HOME") or os.path.expanduser("~")
    given = [f if f == "-" else os.path.join(cwd, f) for f in options.files]
    guess_dir = (os.path.join(cwd, options.project_directory) if options.project_directory
                 else os.path.dirname(given[0]) if given and given[0] != "-" else cwd)
    env_files = [os.path.join(cwd, f) for f in options.env_files]
    first_env = env_files or [p for p in [os.path.join(guess_dir, ".env")] if os.path.isfile(p)]
    _add_env_files(environment, first_env)
    if not given and environment.get("COMPOSE_FILE"):
        separator = environment.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        given = [os.path.join(guess_dir, f)
                 for f in environment["COMPOSE_FILE"].split(separator) if f]
    files = given or _find_default_files(guess_dir)
    project_dir = (os.path.join(cwd, options.project_directory) if options.project_directory
                   else os.path.dirname(files[0]) if files[0] != "-" else cwd)
    project_dir = os.path.normpath(project_dir)
    if not env_files:
        second = os.path.join(project_dir, ".env")
        if os.path.isfile(second) and second not in first_env:
            _add_env_files(environment, [second])
    profiles = options.profiles or [
        p.strip() for p in environment.get("COMPOSE_PROFILES", "").split(",") if p.strip()]

    loader = ModelLoader(environment, home, cwd=cwd)
    raws = [loader.raw(f) for f in files]
    name = _project_name(options, environment, raws, project_dir)
    environment.setdefault("COMPOSE_PROJECT_NAME", name)
    model: dict[str, Any] = {}
    for file in files:
        model = merge_models(model, loader.processed(file, project_dir))
    model = resolve_paths(model, project_dir, home)
    model.pop("version", None)  # obsolete; compose only warns about it
    model = {"name": name, **{k: v for k, v in model.items() if k != "name"}}
    enabled, disabled = select_profiles(model, profiles, services or [])
    model["services"] = enabled
    if consistency:
        check_consistency(model, enabled)
    project = Project(name=name, working_dir=project_dir, files=files,
                      environment=environment, model=model, profiles=profiles,
                      disabled=disabled, warnings=loader.warnings)
    wanted = project.with_dependencies(services) if services else list(enabled)
    for service_name in wanted:
        enabled[service_name] = resolve_service_environment(
            enabled[service_name], service_name, environment)
    if normalize:
        project.model = apply_defaults(model, name)
    return project


__all__ = ["DEFAULT_FILES", "ProjectOptions", "display", "load_project"]
