"""RUN, COPY and ADD as planned operations: their arguments expanded, their
inputs named, and what of them goes into the cache key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hullbox.build.configops import StageConfig
from hullbox.build.context import has_glob
from hullbox.build.heredoc import chomp_heredoc_content, parse_heredoc
from hullbox.build.instructions import Instruction
from hullbox.build.mounts import RunMount, parse_mount
from hullbox.build.shell_lex import Env, ShellLex

if TYPE_CHECKING:
    from hullbox.build.plan import BaseImage, Planner

NETWORKS = ("none", "host", "default")


@dataclass(frozen=True)
class RunOp:
    """A command run in a container on the stage's filesystem."""

    args: list[str]
    env: list[str]
    user: str
    cwd: str
    network: str
    created_by: str
    mounts: list[RunMount] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)  # /dev/pipes/NAME -> body
    mount_keys: list[Any] = field(default_factory=list)

    def key_data(self) -> dict[str, Any]:
        return {"run": self.args, "env": sorted(self.env), "user": self.user, "cwd": self.cwd,
                "network": self.network, "mounts": self.mount_keys, "scripts": self.scripts}


@dataclass(frozen=True)
class Download:
    """An ``ADD URL`` fetched: where it is on the host, its digest, the
    name and time it gets."""

    local: str
    digest: str
    name: str
    mtime: float | None = None


@dataclass(frozen=True)
class CopySource:
    """A context path, a path in another stage or image, a heredoc body or
    a download."""

    path: str
    digest: str = ""
    data: bytes | None = None  # heredoc
    download: Download | None = None


@dataclass(frozen=True)
class CopyOp:
    """Files put into the stage's filesystem."""

    is_add: bool
    sources: list[CopySource]
    dest: str
    dest_is_dir: bool
    chown: str
    chmod: int | None
    from_stage: int | None = None
    from_image: BaseImage | None = None
    from_key: str = ""
    link: bool = False  # a layer of its own, made on nothing: reusable over any parent

    def key_data(self) -> dict[str, Any]:
        return {"add" if self.is_add else "copy": [(s.path, s.digest) for s in self.sources],
                "dest": self.dest, "dir": self.dest_is_dir, "chown": self.chown,
                "chmod": self.chmod, "from": self.from_key, "link": self.link}


def run_op(planner: Planner, inst: Instruction, config: StageConfig, env: Env,
           args: dict[str, str | None]) -> RunOp:
    """The RUN as it will run: argv, environment, user, directory, network."""
    argv = config.command(inst)
    scripts: dict[str, str] = {}
    if inst.heredocs and not inst.json:
        argv, scripts = _heredoc_command(inst, config)
    run_env = {k: v for k, v in args.items() if v is not None}
    run_env.update(e.partition("=")[::2] for e in config.config.env)
    network = inst.flag("network", "default")
    if network not in NETWORKS:
        raise inst.error(f"RUN --network={network}: use none, host or default")
    if network == "default":
        network = planner.network
    mounts = [parse_mount(text, inst, planner.lex, env) for text in inst.flags.get("mount", [])]
    mount_keys: list[Any] = []
    for mount in mounts:
        key = mount.key_data()
        if mount.from_name:
            ref = planner.stage_ref(mount.from_name, inst.line)
            if ref is not None:
                key["from"] = planner._plan_stage(ref).key
                mount.from_stage = ref
            else:
                mount.from_image = planner.resolve(mount.from_name)
                key["from"] = mount.from_image.id
        elif mount.kind == "bind":
            key["context"] = planner.context.digest(mount.context_source())
        mount_keys.append(key)
    created_by = "RUN " + (" ".join(argv) if not inst.json else inst.original[4:].strip())
    return RunOp(argv, [f"{k}={v}" for k, v in run_env.items()], config.config.user or "",
                 config.config.working_dir or "/", network, created_by, mounts, scripts,
                 mount_keys)


def _heredoc_command(inst: Instruction, config: StageConfig) -> tuple[list[str], dict[str, str]]:
    """BuildKit's reading of RUN with heredocs: ``RUN <<EOF`` alone runs the
    body (as a script when it starts with ``#!``); anything else goes to the
    shell with the heredocs written back in."""
    line = " ".join(inst.args)
    first = inst.heredocs[0]
    data = chomp_heredoc_content(first.content) if first.chomp else first.content
    if len(inst.heredocs) == 1 and parse_heredoc(line.strip()) is not None:
        if data.startswith("#!"):
            return [f"/dev/pipes/{first.name}"], {first.name: data}
        return [*config.shell(), data], {}
    full = line
    for doc in inst.heredocs:
        full += "\n" + doc.content + doc.name
    return [*config.shell(), full], {}


def copy_op(planner: Planner, inst: Instruction, config: StageConfig, env: Env,
            stage_index: int) -> CopyOp:
    """COPY/ADD with its sources found and digested."""
    lex = planner.lex
    words = [lex.process_word(a, env) for a in inst.args] if not inst.heredocs else list(inst.args)
    if len(words) < 2:
        raise inst.error(f"{inst.keyword} requires at least two arguments, but only one "
                         "was provided. Destination could not be determined")
    *raw_sources, dest = words
    if inst.heredocs:
        dest = lex.process_word(dest, env)
    workdir = config.config.working_dir or "/"
    dest_is_dir = dest.endswith("/") or dest in (".", "..")
    if not dest.startswith("/"):
        dest = workdir.rstrip("/") + "/" + dest
    chmod = _chmod(inst)
    chown = lex.process_word(inst.flag("chown"), env) if inst.flag("chown") else ""
    op: dict[str, Any] = {}
    from_name = lex.process_word(inst.flag("from"), env) if inst.flag("from") else ""
    if from_name:
        ref = planner.stage_ref(from_name, stage_index)
        if ref is not None:
            op.update(from_stage=ref, from_key=planner._plan_stage(ref).key)
        else:
            image = planner.resolve(from_name)
            op.update(from_image=image, from_key=image.id)
    sources = _sources(planner, inst, raw_sources, env, bool(from_name))
    many = len(sources) > 1 or any(has_glob(s) for s in raw_sources)
    if many and not dest_is_dir:
        raise inst.error(f"When using {inst.keyword} with more than one source file, the "
                         "destination must be a directory and end with a /")
    return CopyOp(inst.keyword == "ADD", sources, dest, dest_is_dir, chown, chmod,
                  link=inst.flag("link") == "true", **op)


def _sources(planner: Planner, inst: Instruction, raw: list[str], env: Env,
             from_other: bool) -> list[CopySource]:
    heredocs = {doc.name: doc for doc in inst.heredocs}
    out: list[CopySource] = []
    for word in raw:
        doc = parse_heredoc(word)
        if doc is not None and doc.name in heredocs:
            body = heredocs[doc.name]
            text = chomp_heredoc_content(body.content) if body.chomp else body.content
            if body.expand:
                text = ShellLex(planner.lex.escape_token, skip_process_quotes=True,
                                raw_escapes=True).process_word(text, env)
            out.append(CopySource(doc.name, data=text.encode()))
            continue
        source = planner.lex.process_word(word, env) if inst.heredocs else word
        if inst.keyword == "ADD" and source.startswith(("http://", "https://")):
            out.append(_download(planner, inst, planner.lex.process_word(source, env)))
            continue
        if inst.keyword == "ADD" and source.startswith("git@"):
            raise inst.error(f"ADD {source}: git sources are not supported; clone it into "
                             "the build context and COPY it")
        if from_other:
            out.append(CopySource(source))
            continue
        for rel in planner.context.match(source, inst.keyword):
            out.append(CopySource(rel, planner.context.digest(rel)))
    return out


def _download(planner: Planner, inst: Instruction, url: str) -> CopySource:
    if planner.fetch is None:
        raise inst.error(f"ADD {url}: this build cannot download")
    got = planner.fetch(url)
    wanted = inst.flag("checksum")
    if wanted and wanted != got.digest:
        raise inst.error(f"ADD {url}: checksum mismatch: wanted {wanted}, got {got.digest}")
    return CopySource(url, got.digest, download=got)


def _chmod(inst: Instruction) -> int | None:
    text = inst.flag("chmod")
    if not text:
        return None
    try:
        value = int(text, 8)
    except ValueError:
        raise inst.error(f"invalid --chmod={text}: use octal permission bits (0755)") from None
    if value > 0o7777:
        raise inst.error(f"invalid --chmod={text}: use octal permission bits (0755)")
    return value
