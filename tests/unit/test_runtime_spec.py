"""default_spec() against the runtime-spec JSON schema, and parse_spec()."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hullbox.oci.runtime_spec import DOCKER_CAPABILITIES, default_spec, parse_spec

SCHEMAS = (Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "schemas"
           / "runtime-spec")


@pytest.fixture(scope="module")
def validator() -> Any:
    if not (SCHEMAS / "config-schema.json").exists():
        pytest.skip(f"runtime-spec schemas not found at {SCHEMAS}")
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    from referencing.jsonschema import DRAFT4

    resources = [(f"file://{p}", DRAFT4.create_resource(json.loads(p.read_text())))
                 for p in SCHEMAS.glob("*.json")]
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / "config-schema.json").read_text())
    schema["id"] = f"file://{SCHEMAS}/config-schema.json"
    return jsonschema.Draft4Validator(schema, registry=registry)


@pytest.mark.parametrize("kwargs", [
    {}, {"terminal": True}, {"hostname": "box"}, {"readonly": True},
    {"root_path": "/abs/rootfs"}, {"cgroupns": False},
])
def test_default_spec_validates(validator: Any, kwargs: dict[str, Any]) -> None:
    spec = default_spec(["sh", "-c", "true"], **kwargs)
    errors = [e.message for e in validator.iter_errors(spec)]
    assert errors == []


def test_schema_rejects_a_broken_spec(validator: Any) -> None:
    spec = default_spec(["true"])
    spec["process"]["user"]["uid"] = "root"
    assert not validator.is_valid(spec)


def test_docker_defaults() -> None:
    spec = default_spec(["top"], hostname="h", readonly=True)
    proc = spec["process"]
    assert proc["user"] == {"uid": 0, "gid": 0}
    assert proc["env"] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    assert set(proc["capabilities"]) == {"bounding", "effective", "permitted"}
    assert sorted(proc["capabilities"]["bounding"]) == sorted(DOCKER_CAPABILITIES)
    assert len(DOCKER_CAPABILITIES) == 14
    assert [m["destination"] for m in spec["mounts"]] == [
        "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"]
    assert {n["type"] for n in spec["linux"]["namespaces"]} == {
        "pid", "ipc", "uts", "mount", "network", "cgroup"}
    assert "/proc/kcore" in spec["linux"]["maskedPaths"]
    assert spec["linux"]["resources"]["devices"][0] == {"allow": False, "access": "rwm"}
    assert spec["root"] == {"path": "rootfs", "readonly": True}
    assert spec["hostname"] == "h"


def test_terminal_sets_term() -> None:
    spec = default_spec(["sh"], terminal=True)
    assert spec["process"]["terminal"] is True
    assert "TERM=xterm" in spec["process"]["env"]


def test_parse_round_trip() -> None:
    doc = default_spec(["echo", "hi"], hostname="h")
    doc["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5]}
    doc["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 20}]
    doc["linux"]["resources"]["memory"] = {"limit": 1 << 20}
    doc["linux"]["resources"]["pids"] = {"limit": 5}
    doc["linux"]["cgroupsPath"] = "/hullbox/x"
    spec = parse_spec(doc)
    assert spec.process.args == ("echo", "hi")
    assert spec.process.user.uid == 1000 and spec.process.user.additional_gids == (5,)
    assert spec.process.rlimits[0].hard == 20
    assert spec.resources.memory_limit == 1 << 20 and spec.resources.pids_limit == 5
    assert spec.cgroups_path == "/hullbox/x"
    assert spec.namespace("network") is not None and spec.namespace("user") is None
    assert spec.hostname == "h"
    assert spec.mounts[1].options == ("nosuid", "strictatime", "mode=755", "size=65536k")
