"""The images a project's services run: built from ``build:`` (context,
dockerfile or dockerfile_inline, args, target, labels, no_cache, network,
tags) with the engine's builder, pulled from their registry, or pushed, as
``compose build``, ``pull``, ``push`` and ``up`` do them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hullbox.compose.naming import service_image
from hullbox.errors import ImageNotFound, InvalidArgument

Progress = Callable[[str], None]
_REMOTE = re.compile(r"^([a-z]+://|git@|github\.com/)")


def _quiet(_line: str) -> None:
    pass


def build_request(project: str, name: str, service: dict[str, Any],
                  no_cache: bool = False) -> Any:
    """The engine's BuildRequest for a service's ``build:``."""
    from hullbox.engine.build import BuildRequest

    build = service["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = str(build.get("context") or ".")
    if _REMOTE.match(context):
        raise InvalidArgument(f"service {name!r}: build context {context} is remote; hullbox "
                              "builds from a local directory only")
    request = BuildRequest(
        context=Path(context),
        tags=[service_image(project, name, service), *[str(t) for t in build.get("tags") or []]],
        build_args={k: "" if v is None else str(v)
                    for k, v in (build.get("args") or {}).items()},
        target=build.get("target") or None,
        labels={k: str(v) for k, v in (build.get("labels") or {}).items()},
        no_cache=no_cache or bool(build.get("no_cache")),
        network=_build_network(name, build.get("network")),
    )
    if build.get("dockerfile_inline"):
        request.dockerfile_text = str(build["dockerfile_inline"])
    elif build.get("dockerfile"):
        request.dockerfile = Path(context) / str(build["dockerfile"])
    return request


def _build_network(name: str, network: Any) -> str:
    if network in (None, "", "default", "none"):
        return "none" if network == "none" else "default"
    if network == "host":
        return "host"
    raise InvalidArgument(f"service {name!r}: build network {network!r} is not supported; "
                          "builds use default, none or host")


def build_services(engine: Any, project: str, services: dict[str, Any], names: list[str],
                   progress: Progress = _quiet, *, no_cache: bool = False) -> list[str]:
    """Build the services among ``names`` that have ``build:``; the images made."""
    made = []
    for name in names:
        service = services[name]
        if not service.get("build"):
            continue
        request = build_request(project, name, service, no_cache)
        progress(f"Building {name}")
        engine.builds.build(request, progress)
        made.append(request.tags[0])
    return made


def has_image(engine: Any, image: str) -> bool:
    try:
        engine.images.get(image)
    except ImageNotFound:
        return False
    return True


def pull_service(engine: Any, name: str, image: str, progress: Progress = _quiet) -> None:
    """Pull one service's image."""
    progress(f"Pulling {name} ({image})")
    engine.distribution.pull(image)


def push_service(engine: Any, name: str, image: str, progress: Progress = _quiet) -> None:
    """Push one service's image (only ones that are built, as docker compose)."""
    progress(f"Pushing {name} ({image})")
    engine.distribution.push(image)


def ensure_images(engine: Any, project: str, services: dict[str, Any], names: list[str],
                  progress: Progress = _quiet, *, build: bool = False) -> None:
    """What ``up`` does first: build every buildable service when ``build``,
    else build or pull the images that are missing (``pull_policy``)."""
    for name in names:
        service = services[name]
        image = service_image(project, name, service)
        policy = str(service.get("pull_policy") or "missing")
        if service.get("build") and (build or policy == "build" or not has_image(engine,
                                                                                  image)):
            build_services(engine, project, services, [name], progress)
        elif policy == "always" or (policy in ("missing", "if_not_present")
                                    and not has_image(engine, image)):
            pull_service(engine, name, image, progress)
        elif not has_image(engine, image):
            raise ImageNotFound(f"service {name!r}: image {image!r} not found locally and "
                                f"pull_policy is {policy}; pull it with: hullbox pull {image}")


def pullable(services: dict[str, Any], names: list[str], *,
             ignore_buildable: bool = False) -> list[str]:
    """``compose pull``'s services: those that name an ``image`` (with
    ``ignore_buildable``, only those without ``build:``)."""
    return [n for n in names if services[n].get("image")
            and not (ignore_buildable and services[n].get("build"))]


def pushable(services: dict[str, Any], names: list[str]) -> list[str]:
    """``compose push``'s services: built ones that name their ``image``."""
    return [n for n in names if services[n].get("image") and services[n].get("build")]
