"""Typed instructions -> a build plan: the stages the target needs, in order,
each a list of steps with their variables expanded, their config worked out
and a cache key (pure, given the base images and the context's files).

A key is the digest of the operation, the key of the step it builds on and,
for COPY/ADD, the digests of the files it reads (as BuildKit). Only steps that
change the filesystem (RUN, COPY, ADD) have keys of their own; a config step
carries the key of the filesystem it stands on, so a changed LABEL does not
rerun the RUNs after it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from hullbox.build.configops import StageConfig
from hullbox.build.context import BuildContext
from hullbox.build.instructions import Dockerfile, Instruction, Stage, instruction
from hullbox.build.parser import DockerfileSyntaxError, parse
from hullbox.build.runops import CopyOp, Download, RunOp, copy_op, run_op
from hullbox.build.shell_lex import Env, ShellLex
from hullbox.errors import HullboxError, InvalidArgument
from hullbox.oci.image import ContainerConfig, Descriptor, ImageConfig

#: Build args Docker accepts without an ARG and never warns about.
PREDEFINED_ARGS = frozenset({
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
})


@dataclass(frozen=True)
class BaseImage:
    """An image a FROM or COPY --from names, resolved in the store."""

    id: str  # "" for scratch
    name: str
    config: ImageConfig
    layers: list[Descriptor]


ImageResolver = Callable[[str], BaseImage]
Fetcher = Callable[[str], Download]  # ADD URL -> the file downloaded


@dataclass
class Step:
    """One instruction as the solver runs it."""

    inst: Instruction
    created_by: str
    key: str  # the filesystem's key after this step
    run: RunOp | None = None
    copy: CopyOp | None = None
    layer_key: str = ""  # COPY --link: the key of its layer alone, whatever the parent

    @property
    def makes_layer(self) -> bool:
        return self.run is not None or self.copy is not None


@dataclass
class PlannedStage:
    """A stage ready to run: its base, steps and final config."""

    stage: Stage
    base_image: BaseImage | None
    base_stage: int | None
    base_key: str
    steps: list[Step] = field(default_factory=list)
    config: StageConfig = field(default_factory=lambda: StageConfig(ContainerConfig()))
    key: str = ""

    @property
    def label(self) -> str:
        return self.stage.name or f"stage-{self.stage.index}"


@dataclass
class Plan:
    """The stages to build, dependencies first; the last is the target."""

    stages: list[PlannedStage]
    unused_args: list[str]

    @property
    def target(self) -> PlannedStage:
        return self.stages[-1]


#: what FROM --platform may name here (the host, without emulation)
HOST_PLATFORMS = ("linux/amd64", "linux/x86_64", "linux/amd64/v1", "linux/amd64/v2",
                  "linux/amd64/v3")


def step_key(parent: str, op: object) -> str:
    data = json.dumps({"parent": parent, "op": op}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(data.encode()).hexdigest()


def platform_args(os_name: str = "linux", arch: str = "amd64") -> dict[str, str]:
    """The automatic platform ARGs (this host builds for itself)."""
    values: dict[str, str] = {}
    for prefix in ("BUILD", "TARGET"):
        values.update({f"{prefix}PLATFORM": f"{os_name}/{arch}", f"{prefix}OS": os_name,
                       f"{prefix}ARCH": arch, f"{prefix}VARIANT": ""})
    return values


class Planner:
    """Plans a Dockerfile's stages for one target."""

    def __init__(self, dockerfile: Dockerfile, *, build_args: dict[str, str],
                 context: BuildContext, resolve: ImageResolver, escape: str = "\\",
                 network: str = "none", fetch: Fetcher | None = None) -> None:
        self.dockerfile = dockerfile
        self.build_args = build_args
        self.context = context
        self.resolve = resolve
        self.lex = ShellLex(escape)
        self.network = network
        self.fetch = fetch
        self.used_args: set[str] = set()
        self.auto_args = platform_args()
        self.meta = self._meta_args()
        self.planned: dict[int, PlannedStage] = {}
        self.order: list[PlannedStage] = []
        self._planning: set[int] = set()

    def _meta_args(self) -> dict[str, str]:
        values: dict[str, str] = dict(self.auto_args)
        for inst in self.dockerfile.meta_args:
            for name, default in self._arg_words(inst, Env(values)):
                value = self.build_args.get(name, default)
                self.used_args.add(name)
                if value is not None:
                    values[name] = value
        return values

    def _arg_words(self, inst: Instruction, env: Env) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for word in inst.args:
            name, sep, default = word.partition("=")
            if not name:
                raise inst.error(f"ARG requires a name: {word!r}")
            out.append((name, self.lex.process_word(default, env) if sep else None))
        return out

    def plan(self, target: str | None) -> Plan:
        stages = self.dockerfile.stages
        if target:
            found = [s for s in stages if s.name == target.lower()]
            if not found:
                names = ", ".join(s.name for s in stages if s.name) or "none"
                raise InvalidArgument(f"target stage {target!r} could not be found; "
                                      f"the stages are: {names}")
            index = found[0].index
        else:
            index = stages[-1].index
        self._plan_stage(index)
        unused = sorted(a for a in self.build_args
                        if a not in self.used_args and a not in PREDEFINED_ARGS)
        return Plan(self.order, unused)

    def stage_ref(self, name: str, before: int) -> int | None:
        """The index of the earlier stage ``name`` (a name or a number)."""
        for stage in self.dockerfile.stages[:before]:
            if stage.name == name.lower() or name == str(stage.index):
                return stage.index
        return None

    def _plan_stage(self, index: int) -> PlannedStage:
        if index in self.planned:
            return self.planned[index]
        stage = self.dockerfile.stages[index]
        if index in self._planning:
            raise DockerfileSyntaxError("circular dependency between stages", stage.line)
        self._planning.add(index)
        base_name = self.lex.process_word(stage.base, Env(self.meta))
        platform = self.lex.process_word(stage.platform, Env(self.meta))
        if platform and platform not in HOST_PLATFORMS:
            raise DockerfileSyntaxError(
                f"FROM --platform={platform}: this host builds {HOST_PLATFORMS[0]} only; "
                "use --platform=$BUILDPLATFORM or leave it out", stage.line)
        base_stage = self.stage_ref(base_name, index)
        if base_stage is not None:
            parent = self._plan_stage(base_stage)
            planned = PlannedStage(stage, None, base_stage, parent.key,
                                   config=StageConfig(copy.deepcopy(parent.config.config),
                                                      parent.config.author))
        else:
            if not base_name:
                raise DockerfileSyntaxError("FROM names no image (an empty ARG?)", stage.line)
            try:
                base = self.resolve(base_name)
            except DockerfileSyntaxError:
                raise
            except HullboxError as exc:  # a pull that failed: say which FROM
                raise DockerfileSyntaxError(str(exc), stage.line) from exc
            planned = PlannedStage(stage, base, None, step_key("", {"from": base.id or "scratch"}),
                                   config=StageConfig(copy.deepcopy(base.config.config),
                                                      base.config.author))
        _StagePlanner(self, planned).run()
        self.planned[index] = planned
        self.order.append(planned)
        self._planning.discard(index)
        return planned


class _StagePlanner:
    """The walk through one stage's instructions."""

    def __init__(self, planner: Planner, planned: PlannedStage) -> None:
        self.planner = planner
        self.planned = planned
        self.args: dict[str, str | None] = {}
        self.key = planned.base_key

    def env(self) -> Env:
        values = {k: v for k, v in self.args.items() if v is not None}
        values.update(e.partition("=")[::2] for e in self.planned.config.config.env)
        return Env(values)

    def run(self) -> None:
        config = self.planned.config
        triggers = config.config.on_build or []
        config.config.on_build = None  # triggers fire once, in the child
        for inst in [*(_trigger(t, self.planned.stage) for t in triggers),
                     *self.planned.stage.instructions]:
            try:
                self._one(inst)
            except DockerfileSyntaxError:
                raise
            except HullboxError as exc:
                raise DockerfileSyntaxError(str(exc), inst.line) from exc
        self.planned.key = self.key

    def _one(self, inst: Instruction) -> None:
        config = self.planned.config
        if inst.keyword == "ARG":
            for name, default in self.planner._arg_words(inst, self.env()):
                self.planner.used_args.add(name)
                given = self.planner.build_args.get(name)
                if given is None and default is None:
                    default = self.planner.meta.get(name)
                self.args[name] = given if given is not None else default
            return
        if inst.keyword == "RUN":
            op = run_op(self.planner, inst, config, self.env(), self.args)
            self.key = step_key(self.key, op.key_data())
            self.planned.steps.append(Step(inst, op.created_by, self.key, run=op))
        elif inst.keyword in ("COPY", "ADD"):
            cop = copy_op(self.planner, inst, config, self.env(), self.planned.stage.index)
            layer_key = step_key("link", cop.key_data()) if cop.link else ""
            self.key = step_key(self.key, {"linked": layer_key} if cop.link else cop.key_data())
            self.planned.steps.append(Step(inst, inst.original, self.key, copy=cop,
                                           layer_key=layer_key))
        else:
            config.apply(inst, self.planner.lex, self.env())
            self.planned.steps.append(Step(inst, inst.original, self.key))


def _trigger(text: str, stage: Stage) -> Instruction:
    try:
        node = parse(text + "\n").ast.children[0]
    except DockerfileSyntaxError as exc:
        raise DockerfileSyntaxError(f"ONBUILD trigger {text!r} of the base image: "
                                    f"{exc.message}", stage.line) from exc
    node.start_line = stage.line
    return instruction(node)
