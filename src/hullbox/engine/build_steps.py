"""One ``hullbox build``: read and parse the Dockerfile, plan the stages the
target needs, run them, record the image (or write its filesystem out, with
``-o``). Every error names the Dockerfile and its line."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.build.cache import CachedLayer
from hullbox.build.context import BuildContext
from hullbox.build.instructions import Dockerfile, load
from hullbox.build.parser import DockerfileSyntaxError, ParseResult, parse
from hullbox.build.plan import Plan, Planner
from hullbox.build.progress import Progress
from hullbox.build.runmounts import check_required_secrets
from hullbox.build.secrets import load_secrets, load_ssh
from hullbox.build.solver import Solver, image_config
from hullbox.engine.build_export import BuildOutput, check_output, export_filesystem
from hullbox.engine.build_fetch import UrlFetcher
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
              progress: Progress) -> BuildResult:
    if not request.context.is_dir():
        raise InvalidArgument(f"build context {request.context} is not a directory")
    output = request.output
    if output is not None:
        check_output(output, request.stdout)
    text, name = _read_dockerfile(request)
    secrets = load_secrets(request.secrets)
    agents = load_ssh(request.ssh)
    warnings: list[str] = []
    parsed, dockerfile = _parse(text, name, progress, warnings)
    vertex = progress.start("[internal] load .dockerignore")
    context = BuildContext(request.context.resolve())
    progress.done(vertex)
    resolver = BaseImages(store, images, always_pull=request.pull, progress=progress)
    with UrlFetcher(store.tmp_dir) as fetch:
        planner = Planner(dockerfile, build_args=request.build_args, context=context,
                          resolve=resolver, escape=parsed.escape_token, fetch=fetch,
                          network="host" if request.network == "host" else "none")
        try:
            plan = planner.plan(request.target)
        except DockerfileSyntaxError as exc:
            raise InvalidArgument(exc.at(name)) from None
        check_required_secrets(plan, secrets, agents, name)
        request_cache = _cache_from(store, resolver, request.cache_from, warnings)
        return _solve(store, plan, context, request, tags, progress, name,
                      (secrets, agents), warnings, request_cache)


def _solve(store: Store, plan: Plan, context: BuildContext, request: BuildRequest,
           tags: list[str], progress: Progress, name: str,
           secrets: tuple[dict[str, bytes], dict[str, str]], warnings: list[str],
           cache_from: dict[str, CachedLayer]) -> BuildResult:
    from hullbox.engine.build import BuildResult

    if plan.unused_args:
        warnings.append("one or more build-args were not consumed: "
                        + ", ".join(plan.unused_args))
    solver = Solver(store, plan, context, runner=partial(run_step, settings=request.step),
                    no_cache=request.no_cache,
                    progress=progress, dockerfile_name=name, secrets=secrets[0],
                    ssh=secrets[1], cache_from=cache_from)
    state, target = solver.solve()
    if request.squash:
        from hullbox.build.squash import base_layer_count, squash_state

        vertex = progress.start("squashing the new layers")
        state = squash_state(store, state, base_layer_count(plan))
        progress.done(vertex)
    output = request.output
    if output is not None:
        _export(store, state.lowers(store), output, request, progress)
        return BuildResult(None, warnings)
    vertex = progress.start("exporting to image")
    config = image_config(state, target, request.labels)
    record = write_image(store, config, state.layers, state.records, tags)
    progress.log(vertex, f"writing image {record.id} done")
    for tag in tags:
        progress.log(vertex, f"naming to {tag} done")
    progress.done(vertex)
    return BuildResult(record, warnings)


def _cache_from(store: Store, resolver: BaseImages, names: list[str],
                warnings: list[str]) -> dict[str, CachedLayer]:
    """The layers the --cache-from images offer; one that cannot be found
    or pulled is a warning, as in BuildKit, not a failed build."""
    from hullbox.build.cache_from import cache_index
    from hullbox.errors import HullboxError

    images = []
    for name in names:
        try:
            images.append(resolver(name))
        except HullboxError as exc:
            warnings.append(f"--cache-from {name}: {exc}; building without it")
    return cache_index(store, images)


def _parse(text: str, name: str, progress: Progress,
           warnings: list[str]) -> tuple[ParseResult, Dockerfile]:
    vertex = progress.start(f"[internal] load build definition from {name}")
    progress.log(vertex, f"transferring dockerfile: "
                         f"{len(text.encode(errors='surrogateescape'))}B done")
    try:
        parsed = parse(text)
        dockerfile = load(parsed.ast)
    except DockerfileSyntaxError as exc:
        progress.error(vertex, exc.at(name))
        raise InvalidArgument(exc.at(name)) from None
    for directive in parsed.directives:
        if directive.name == "syntax":
            warnings.append(f"# syntax={directive.value} is ignored: hullbox builds with its "
                            "own Dockerfile frontend")
    progress.done(vertex)
    return parsed, dockerfile


def _export(store: Store, lowers: list[Path], output: BuildOutput, request: BuildRequest,
            progress: Progress) -> None:
    where = "client directory" if output.kind == "local" else "client tarball"
    vertex = progress.start(f"exporting to {where}")
    stats = export_filesystem(store, lowers, output, request.stdout)
    progress.log(vertex, f"{'copying files' if output.kind == 'local' else 'sending tarball'} "
                         f"{stats.size / 1e6:.2f}MB done")
    progress.done(vertex)
