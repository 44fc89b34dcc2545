"""Running a plan: each RUN/COPY/ADD on an overlay of the layers so far, its
upper dir made the step's layer, the cache asked first; then the image.

RUN itself is the caller's (``Runner``): the engine turns the op into a
runtime bundle. Everything mounted for a step is unmounted when the step
ends, whether it worked or not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hullbox.build.cache import BuildCache, CachedLayer
from hullbox.build.cache_from import CACHE_KEY
from hullbox.build.context import BuildContext
from hullbox.build.copier import Copier
from hullbox.build.plan import BaseImage, Plan, PlannedStage, Step
from hullbox.build.progress import Progress
from hullbox.build.runmounts import RunMounts
from hullbox.build.runops import CopyOp, RunOp
from hullbox.build.workspace import Workspace, remove_mount_points
from hullbox.errors import BuildFailed, HullboxError
from hullbox.image.layerwriter import WrittenLayer, now_rfc3339, write_layer
from hullbox.oci.digest import chain_ids
from hullbox.oci.image import Descriptor, ImageConfig
from hullbox.store import images as image_db
from hullbox.store.images import LayerRecord
from hullbox.store.store import Store

HISTORY_COMMENT = "hullbox.dockerfile.v0"
#: what a runtime may create in the rootfs only to mount over it
RUNTIME_MOUNT_POINTS = ["proc", "sys", "dev", "etc/hosts", "etc/hostname", "etc/resolv.conf"]

#: (op, workspace, extra runtime-spec mounts, output line sink) -> exit code
Runner = Callable[[RunOp, Workspace, list[dict[str, Any]], Callable[[str], None]], int]


@dataclass
class FsState:
    """A stage's image so far."""

    layers: list[Descriptor] = field(default_factory=list)
    diff_ids: list[str] = field(default_factory=list)
    records: list[LayerRecord] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    created: str = ""

    @property
    def chain(self) -> list[str]:
        return chain_ids(self.diff_ids)

    def lowers(self, store: Store) -> list[Path]:
        return [store.layer_dir(c) for c in reversed(self.chain)]

    def copy(self) -> FsState:
        return replace(self, layers=list(self.layers), diff_ids=list(self.diff_ids),
                       records=list(self.records), history=list(self.history))


class Solver:
    """Builds the stages of a plan in order."""

    def __init__(self, store: Store, plan: Plan, context: BuildContext, *, runner: Runner,
                 no_cache: bool, progress: Progress, dockerfile_name: str,
                 secrets: dict[str, bytes] | None = None,
                 ssh: dict[str, str] | None = None,
                 cache_from: dict[str, CachedLayer] | None = None) -> None:
        self.store = store
        self.plan = plan
        self.context = context
        self.runner = runner
        self.no_cache = no_cache
        self.progress = progress
        self.name = dockerfile_name
        self.cache = BuildCache(store)
        self.cache_from = cache_from or {}  # --cache-from images' layers by step key
        self.states: dict[int, FsState] = {}
        self.multi = len({s.stage.index for s in plan.stages}) > 1
        self.mounts = RunMounts(store, context, self._view, secrets or {}, ssh or {})

    def solve(self) -> tuple[FsState, PlannedStage]:
        for planned in self.plan.stages:
            self.states[planned.stage.index] = self._stage(planned)
        target = self.plan.target
        return self.states[target.stage.index], target

    def _base(self, planned: PlannedStage) -> FsState:
        if planned.base_stage is not None:
            return self.states[planned.base_stage].copy()
        assert planned.base_image is not None
        return self.image_state(planned.base_image)

    def image_state(self, image: BaseImage) -> FsState:
        config = image.config
        chain = chain_ids(config.diff_ids)
        records = list(reversed(image_db.layer_chain(self.store, chain[-1]))) if chain else []
        return FsState(list(image.layers), list(config.diff_ids), records,
                       list(config.history), config.created)

    def _stage(self, planned: PlannedStage) -> FsState:
        total = 1 + sum(1 for s in planned.steps if s.makes_layer)
        prefix = f"{planned.label} " if self.multi else ""
        base = planned.base_image.name if planned.base_image else planned.stage.base
        vertex = self.progress.start(f"[{prefix}1/{total}] FROM {base}")
        state = self._base(planned)
        self.progress.done(vertex)
        number = 1
        for step in planned.steps:
            if not step.makes_layer:
                state.history.append({"created": state.created, "created_by": step.created_by,
                                      "comment": HISTORY_COMMENT, "empty_layer": True})
                continue
            number += 1
            vertex = self.progress.start(f"[{prefix}{number}/{total}] {_title(step)}")
            entry = self._cached(step, state)
            if entry is not None:
                self.progress.cached(vertex)
            else:
                try:
                    entry = self._execute(step, state, vertex)
                except BuildFailed as exc:
                    self.progress.error(vertex, str(exc))
                    raise
                except HullboxError as exc:
                    self.progress.error(vertex, str(exc))
                    raise type(exc)(f"{self.name}:{step.inst.line}: {exc}") from exc
                self.progress.done(vertex)
            state.layers.append(entry.descriptor)
            state.diff_ids.append(entry.diff_id)
            state.records.append(LayerRecord(entry.chain_id, entry.diff_id, entry.parent,
                                             entry.size))
            state.created = entry.created
            state.history.append({"created": entry.created, "created_by": step.created_by,
                                  "comment": HISTORY_COMMENT, CACHE_KEY: step.key})
        return state

    def _cached(self, step: Step, state: FsState) -> CachedLayer | None:
        if self.no_cache:
            return None
        entry = self.cache.get(step.key)
        if entry is None and step.layer_key:  # the same --link layer, made over another base
            linked = self.cache.get(step.layer_key)
            if linked is not None:
                entry = self.cache.rebased(linked, state.chain[-1] if state.chain else None,
                                           step.key)
        offered = self.cache_from.get(step.key)
        if entry is None and offered is not None:
            # the same step over the same inputs: its layer over this parent
            entry = self.cache.rebased(offered, state.chain[-1] if state.chain else None,
                                       step.key)
        return entry

    def _execute(self, step: Step, state: FsState, vertex: int) -> CachedLayer:
        parent = state.chain[-1] if state.chain else None
        linked = step.copy is not None and step.copy.link
        with Workspace(self.store.tmp_dir, [] if linked else state.lowers(self.store)) as space:
            if step.run is not None:
                self._run(step, step.run, space, vertex)
            else:
                assert step.copy is not None
                self._copy(step.copy, space, state)
            space.unmount()
            created = now_rfc3339()
            holder: list[CachedLayer] = []

            def record(layer: WrittenLayer) -> None:
                entry = CachedLayer(layer.descriptor, layer.diff_id, layer.chain_id,
                                    layer.parent, layer.size, created)
                self.cache.put(step.key, entry)
                if step.layer_key:
                    self.cache.put(step.layer_key, entry)
                holder.append(entry)

            write_layer(self.store, space.upper, parent, take_upper=True, on_commit=record)
            return holder[0]
        raise AssertionError("unreachable")  # pragma: no cover

    def _run(self, step: Step, op: RunOp, space: Workspace, vertex: int) -> None:
        with contextlib.ExitStack() as stack:
            (space.rootfs / op.cwd.lstrip("/")).mkdir(parents=True, exist_ok=True)
            extra, secret_env = self.mounts.make(op, space, stack)
            if secret_env:  # for this run only: never in the op, its key or history
                op = replace(op, env=[*op.env, *secret_env])
            tail: list[str] = []

            def output(line: str) -> None:
                tail.append(line)
                del tail[:-10]
                self.progress.log(vertex, line)

            code = self.runner(op, space, extra, output)
        if code != 0:
            raise BuildFailed(
                f"{self.name}:{step.inst.line}: {step.created_by}: process "
                f"\"{' '.join(op.args)}\" did not complete successfully: exit code: {code}",
                tail)
        remove_mount_points(space, [*RUNTIME_MOUNT_POINTS, *(m.target for m in op.mounts),
                                    *(["dev/pipes"] if op.scripts else [])], keep=op.cwd)

    def _view(self, stage: int | None, image: BaseImage | None,
              stack: contextlib.ExitStack) -> Path:
        """A read-only view of another stage's or image's filesystem."""
        state = self.states[stage] if stage is not None else self.image_state(
            image)  # type: ignore[arg-type]
        return stack.enter_context(
            Workspace(self.store.tmp_dir, state.lowers(self.store), readonly=True)).rootfs

    def _copy(self, op: CopyOp, space: Workspace, state: FsState) -> None:
        with contextlib.ExitStack() as stack:
            source_root = passwd_root = None
            if op.from_stage is not None or op.from_image is not None:
                source_root = self._view(op.from_stage, op.from_image, stack)
            if op.link and op.chown and not op.chown.replace(":", "").isdigit():
                # made on nothing, but --chown names the base's users
                passwd_root = stack.enter_context(Workspace(
                    self.store.tmp_dir, state.lowers(self.store), readonly=True)).rootfs
            Copier(op, space.rootfs, context=self.context, source_root=source_root,
                   passwd_root=passwd_root).run()


def _title(step: Step) -> str:
    if step.run is not None:
        return step.created_by
    return step.inst.original


def image_config(state: FsState, planned: PlannedStage, labels: dict[str, str]) -> ImageConfig:
    """The built image's config."""
    config = replace(planned.config.config, labels={**planned.config.config.labels, **labels})
    return ImageConfig(architecture="amd64", os="linux", created=state.created,
                       author=planned.config.author, config=config,
                       diff_ids=list(state.diff_ids), history=list(state.history))
