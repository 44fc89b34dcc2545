"""One ``hullbox build``: read and parse the Dockerfile, plan the stages the
target needs, run them, record the image. Every error names the Dockerfile
and its line."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hullbox.build.context import BuildContext
from hullbox.build.instructions import load
from hullbox.build.parser import DockerfileSyntaxError, parse
from hullbox.build.plan import Planner
from hullbox.build.runmounts import check_required_secrets
from hullbox.build.secrets import load_secrets
from hullbox.build.solver import Solver, image_config
from hullbox.engine.build_images import BaseImages
from hullbox.engine.build_run import run_step
from hullbox.engine.images import ImageService
from hullbox.errors import InvalidArgument
from hullbox.image.layerwriter import write_image
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.engine.build import BuildRequest, BuildResult


def _read_dockerfile(request: BuildRequest) -> tuple[str, str]:
    """(text, name for messages)."""
    if request.dockerfile_text is not None:
        return request.dockerfile_text, "Dockerfile"
    path = request.dockerfile or request.context / "Dockerfile"
    try:
        return path.read_text(errors="surrogateescape"), path.name
    except FileNotFoundError:
        raise InvalidArgument(f"failed to read dockerfile: {path} does not exist; "
                              "give its path with -f") from None
    except OSError as exc:
        raise InvalidArgument(f"failed to read dockerfile {path}: {exc.strerror}") from exc


def run_build(store: Store, images: ImageService, request: BuildRequest, tags: list[str],
              progress: Callable[[str], None], started: float) -> BuildResult:
    from hullbox.engine.build import BuildResult

    if not request.context.is_dir():
        raise InvalidArgument(f"build context {request.context} is not a directory")
    text, name = _read_dockerfile(request)
    secrets = load_secrets(request.secrets)
    progress(f"#1 [internal] load build definition from {name}")
    progress(f"#1 transferring dockerfile: {len(text.encode(errors='surrogateescape'))}B done")
    warnings: list[str] = []
    try:
        parsed = parse(text)
        dockerfile = load(parsed.ast)
    except DockerfileSyntaxError as exc:
        raise InvalidArgument(exc.at(name)) from None
    for directive in parsed.directives:
        if directive.name == "syntax":
            warnings.append(f"# syntax={directive.value} is ignored: hullbox builds with its "
                            "own Dockerfile frontend")
    progress(f"#1 DONE {time.monotonic() - started:.1f}s")
    progress("")
    progress("#2 [internal] load .dockerignore")
    context = BuildContext(request.context.resolve())
    progress("#2 DONE 0.0s")
    resolver = BaseImages(store, images, always_pull=request.pull, progress=progress,
                          first_vertex=3)
    planner = Planner(dockerfile, build_args=request.build_args, context=context,
                      resolve=resolver, escape=parsed.escape_token,
                      network="host" if request.network == "host" else "none")
    try:
        plan = planner.plan(request.target)
    except DockerfileSyntaxError as exc:
        raise InvalidArgument(exc.at(name)) from None
    if plan.unused_args:
        warnings.append("one or more build-args were not consumed: "
                        + ", ".join(plan.unused_args))
    check_required_secrets(plan, secrets, name)
    solver = Solver(store, plan, context, runner=run_step, no_cache=request.no_cache,
                    progress=progress, dockerfile_name=name, secrets=secrets)
    solver.vertex = resolver.vertex
    state, target = solver.solve()
    solver.vertex += 1
    vertex = solver.vertex
    progress("")
    progress(f"#{vertex} exporting to image")
    config = image_config(state, target, request.labels)
    record = write_image(store, config, state.layers, state.records, tags)
    progress(f"#{vertex} writing image {record.id} done")
    for tag in tags:
        progress(f"#{vertex} naming to {tag} done")
    progress(f"#{vertex} DONE 0.0s")
    return BuildResult(record, warnings)
