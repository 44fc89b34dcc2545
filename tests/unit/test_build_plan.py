"""The pure front of the builder: .dockerignore semantics, typed instructions,
ARG/ENV scoping, config instructions, cache keys and stage pruning."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.build.context import BuildContext
from hullbox.build.dockerignore import IgnoreMatcher
from hullbox.build.instructions import load
from hullbox.build.parser import DockerfileSyntaxError, parse
from hullbox.build.plan import BaseImage, Plan, Planner
from hullbox.errors import ImageNotFound
from hullbox.oci.image import ContainerConfig, ImageConfig


@pytest.mark.parametrize(("patterns", "path", "ignored"), [
    (["*.log"], "a.log", True),
    (["*.log"], "dir/a.log", False),  # * does not cross /
    (["**/*.log"], "dir/sub/a.log", True),
    (["**/*.log"], "a.log", True),
    (["node_modules"], "node_modules/pkg/index.js", True),  # a directory takes its content
    (["/build"], "build/out", True),
    (["./docs/"], "docs/x.md", True),
    (["logs/*", "!logs/keep.log"], "logs/keep.log", False),
    (["logs/*", "!logs/keep.log"], "logs/other.log", True),
    (["!a.txt", "*.txt"], "a.txt", True),  # the last match decides
    (["a?c"], "abc", True),
    (["a?c"], "a/c", False),
    (["[ab].txt"], "b.txt", True),
    (["#comment", "", "x"], "#comment", False),
    (["docs/**"], "docs/a/b/c", True),
])
def test_dockerignore_semantics(patterns: list[str], path: str, ignored: bool) -> None:
    assert IgnoreMatcher(patterns).ignored(path) is ignored


def image(env: list[str] | None = None, cmd: list[str] | None = None,
          on_build: list[str] | None = None) -> BaseImage:
    config = ContainerConfig(env=env or ["PATH=/bin"], cmd=cmd, on_build=on_build)
    return BaseImage("sha256:" + "1" * 64, "base", ImageConfig(config=config), [])


def plan(text: str, tmp_path: Path, *, args: dict[str, str] | None = None,
         target: str | None = None, images: dict[str, BaseImage] | None = None) -> Plan:
    known = images if images is not None else {"busybox": image(cmd=["sh"])}

    def resolve(name: str) -> BaseImage:
        if name not in known:
            raise ImageNotFound(f"image {name!r} not found locally")
        return known[name]

    parsed = parse(text)
    return Planner(load(parsed.ast), build_args=args or {}, context=BuildContext(tmp_path),
                   resolve=resolve).plan(target)


def test_args_before_from_and_in_stages(tmp_path: Path) -> None:
    text = ("ARG IMG=busybox\nARG V=meta\nFROM $IMG\nARG V\nARG W=w-default\n"
            "ENV FROM_ARG=$V-$W\nRUN true\n")
    result = plan(text, tmp_path, args={"W": "given", "UNUSED": "x"})
    stage = result.target
    assert "FROM_ARG=meta-given" in stage.config.config.env
    run = stage.steps[-1].run
    assert run is not None
    assert "V=meta" in run.env and "W=given" in run.env
    assert result.unused_args == ["UNUSED"]


def test_env_wins_over_arg_and_is_kept_in_the_image(tmp_path: Path) -> None:
    stage = plan("FROM busybox\nARG X=arg\nENV X=env\nENV Y=${X}\n", tmp_path).target
    assert stage.config.config.env == ["PATH=/bin", "X=env", "Y=env"]


def test_cmd_entrypoint_shell_forms(tmp_path: Path) -> None:
    stage = plan('FROM busybox\nSHELL ["/bin/bash", "-xc"]\nENTRYPOINT run me\n', tmp_path).target
    config = stage.config.config
    assert config.entrypoint == ["/bin/bash", "-xc", "run me"]
    assert config.cmd is None  # a new ENTRYPOINT drops the base image's CMD
    stage = plan('FROM busybox\nCMD ["a"]\nENTRYPOINT ["e"]\n', tmp_path).target
    assert stage.config.config.cmd == ["a"]  # ...but not one set in this stage


def test_config_instructions(tmp_path: Path) -> None:
    text = ("FROM busybox\nWORKDIR /a\nWORKDIR b\nUSER 1000:1000\nEXPOSE 80 53/udp\n"
            'VOLUME ["/data"]\nSTOPSIGNAL SIGTERM\nLABEL "k 1"=v\nMAINTAINER me\n'
            "ONBUILD RUN echo later\nHEALTHCHECK NONE\n")
    stage = plan(text, tmp_path).target
    config = stage.config.config
    assert config.working_dir == "/a/b" and config.user == "1000:1000"
    assert config.exposed_ports == {"80/tcp": {}, "53/udp": {}}
    assert config.volumes == {"/data": {}} and config.stop_signal == "SIGTERM"
    assert config.labels == {"k 1": "v"} and stage.config.author == "me"
    assert config.on_build == ["RUN echo later"]
    assert config.healthcheck == {"Test": ["NONE"]}


def test_onbuild_triggers_of_the_base_run_first(tmp_path: Path) -> None:
    base = image(on_build=["ENV TRIGGERED=1"])
    stage = plan("FROM base\n", tmp_path, images={"base": base}).target
    assert "TRIGGERED=1" in stage.config.config.env and not stage.config.config.on_build


def test_cache_keys(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("one")
    text = "FROM busybox\nLABEL a=1\nRUN echo $X\nARG X\nCOPY f /f\nRUN true\n"

    def keys(**kwargs: object) -> list[str]:
        return [s.key for s in plan(text, tmp_path, **kwargs).target.steps  # type: ignore[arg-type]
                if s.makes_layer]

    first = keys()
    assert first == keys()  # the same input, the same keys
    assert keys(args={"X": "1"})[0] == first[0]  # RUN before the ARG is not affected
    assert keys(args={"X": "1"})[1] == first[1]  # COPY does not read X
    assert keys(args={"X": "1"})[2] != first[2]  # the RUN after the ARG sees it
    relabeled = plan(text.replace("a=1", "a=2"), tmp_path).target.steps
    assert [s.key for s in relabeled if s.makes_layer] == first  # labels rerun nothing
    (tmp_path / "f").write_text("two")
    changed = keys()
    assert changed[0] == first[0] and changed[1:] != first[1:]


def test_stages_the_target_does_not_need_are_not_planned(tmp_path: Path) -> None:
    text = ("FROM busybox AS a\nRUN true\nFROM missing:image AS b\nRUN true\n"
            "FROM a AS c\nCOPY --from=a /x /y\n")
    result = plan(text, tmp_path, target="c")
    assert [s.stage.name for s in result.stages] == ["a", "c"]
    with pytest.raises(DockerfileSyntaxError) as failed:  # the FROM's line, the lookup's words
        plan(text, tmp_path, target="b")
    assert failed.value.at("Dockerfile") == (
        "Dockerfile:3: image 'missing:image' not found locally")


@pytest.mark.parametrize(("text", "message", "line"), [
    ("FROM busybox\nRUNN x\n", "unknown instruction: RUNN", 2),
    ("RUN x\n", "RUN before the first FROM: only ARG may come first", 1),
    ("FROM busybox\nCOPY --bogus=1 a b\n", "unknown flag: bogus", 2),
    ("FROM busybox\nSHELL /bin/sh\n", "SHELL requires the arguments to be in JSON form", 2),
    ("FROM busybox AS 1x\n", "invalid name for build stage", 1),
])
def test_bad_instructions_name_their_line(text: str, message: str, line: int) -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        load(parse(text).ast)
    assert message in info.value.message and info.value.start_line == line
