"""config.json as the engine generates it: Docker's override rules, and valid
against the runtime-spec schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import ResolvedUser, resolve_user
from hullbox.engine.specgen import build_spec, command_line, merge_env
from hullbox.errors import InvalidArgument, RuntimeFailure
from hullbox.oci.image import ContainerConfig


def _spec(**option_args: Any) -> dict[str, Any]:
    options = ContainerOptions.parse(**option_args)
    return build_spec(
        container_id="c" * 64,
        args=["sh", "-c", "true"],
        image=ContainerConfig(env=["PATH=/bin", "IMG=1"], working_dir="/srv"),
        options=options,
        user=ResolvedUser(1000, 1000, (27,), "/home/u"),
        hostname="box",
        etc_files={"hosts": Path("/var/lib/hullbox/containers/c/hosts")},
    )


def _validator(corpora: Path) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    schema_dir = corpora / "schemas" / "runtime-spec"
    resources = []
    for path in schema_dir.glob("*.json"):
        contents = json.loads(path.read_text())
        resources.append((path.name, referencing.Resource.from_contents(
            contents, default_specification=referencing.jsonschema.DRAFT4)))
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((schema_dir / "config-schema.json").read_text())
    return jsonschema.Draft4Validator(schema, registry=registry)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"tty": True, "read_only": True, "network": "host"},
        {"memory": "64m", "cpus": "0.5", "pids_limit": 50, "labels": {"a": "b"}},
    ],
)
def test_generated_config_validates_against_the_runtime_spec_schema(
    corpora: Path, options: dict[str, Any]
) -> None:
    errors = sorted(_validator(corpora).iter_errors(_spec(**options)), key=str)
    assert errors == []


def test_limits_and_namespaces() -> None:
    spec = _spec(memory="64m", cpus="0.5", pids_limit=50, network="host")
    resources = spec["linux"]["resources"]
    # swap: docker's default of memory + swap = twice --memory
    assert resources["memory"] == {"limit": 64 * 1024 * 1024, "swap": 128 * 1024 * 1024}
    assert resources["cpu"] == {"quota": 50_000, "period": 100_000}
    assert resources["pids"] == {"limit": 50}
    assert "network" not in {ns["type"] for ns in spec["linux"]["namespaces"]}
    assert spec["process"]["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [27]}
    assert spec["process"]["cwd"] == "/srv"
    assert spec["hostname"] == "box"


def test_entrypoint_and_cmd_override_rules() -> None:
    image = ContainerConfig(entrypoint=["/init"], cmd=["--serve"])
    assert command_line(image, ContainerOptions(), []) == ["/init", "--serve"]
    assert command_line(image, ContainerOptions(), ["--once"]) == ["/init", "--once"]
    assert command_line(image, ContainerOptions(entrypoint=["sh"]), []) == ["sh"]
    assert command_line(image, ContainerOptions(entrypoint=[]), ["ls"]) == ["ls"]


def test_env_merges_by_name_and_sets_home() -> None:
    env = merge_env(["PATH=/bin", "A=image"], ["A=user", "B=2"], "/root")
    assert env == ["PATH=/bin", "A=user", "B=2", "HOME=/root"]


def test_bad_options_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="minimum memory"):
        ContainerOptions.parse(memory="1k")
    # A network's existence is checked at create, against the store; its name here.
    with pytest.raises(InvalidArgument, match="invalid --network 'my net'"):
        ContainerOptions.parse(network="my net")
    with pytest.raises(InvalidArgument, match="invalid environment variable"):
        ContainerOptions.parse(env=["=x"])


def test_users_resolve_from_the_images_files(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\napp:x:100:101:app:/home/app:/bin/sh\n")
    (tmp_path / "etc" / "group").write_text("app:x:101:\nwheel:x:10:app\nstaff:x:50:\n")
    assert resolve_user(tmp_path, "app") == ResolvedUser(100, 101, (101, 10), "/home/app")
    assert resolve_user(tmp_path, "100:staff").gid == 50
    assert resolve_user(tmp_path, "4242:4242") == ResolvedUser(4242, 4242, (4242,), "/")
    with pytest.raises(RuntimeFailure, match="unable to find user nobody"):
        resolve_user(tmp_path, "nobody")
