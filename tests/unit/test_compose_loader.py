"""The compose loader on small projects written here: interpolation, YAML
1.2 scalars, anchors and merge keys, ``!reset``/``!override``, merging of
several files, short syntax, profiles and the errors a user sees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hullbox.compose.interpolation import substitute
from hullbox.compose.options import ProjectOptions, load_project
from hullbox.compose.units import format_duration, parse_bytes, parse_duration
from hullbox.errors import ComposeFileError


def _project(tmp_path: Path, *texts: str, env: dict[str, str] | None = None,
             **options: Any) -> Any:
    names = []
    for index, text in enumerate(texts):
        name = "compose.yaml" if index == 0 else f"override{index}.yaml"
        (tmp_path / name).write_text(text)
        names.append(name)
    opts = ProjectOptions(files=names, environment=env or {}, cwd=str(tmp_path), **options)
    return load_project(opts)


@pytest.mark.parametrize(("template", "expected"), [
    ("${SET}", "value"), ("$SET", "value"), ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"),
    ("${EMPTY-d}", ""), ("${UNSET-d}", "d"), ("${SET:+r}", "r"), ("${EMPTY:+r}", ""),
    ("${EMPTY+r}", "r"), ("${UNSET+r}", ""), ("$$SET", "$SET"), ("a$", "a$"),
    ("${UNSET:-${SET}x}", "valuex"), ("${UNSET}", ""),
])
def test_interpolation(template: str, expected: str) -> None:
    assert substitute(template, {"SET": "value", "EMPTY": ""}.get) == expected


@pytest.mark.parametrize(("template", "message"), [
    ("${UNSET:?need it}", "required variable UNSET is missing a value: need it"),
    ("${EMPTY:?}", "required variable EMPTY is missing a value"),
    ("${UNSET?x}", "required variable UNSET is missing a value: x"),
    ("${ SET}", "invalid template"), ("${SET", "invalid template"),
])
def test_interpolation_errors(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        substitute(template, {"SET": "value", "EMPTY": ""}.get)


def test_required_variable_error_names_file_and_path(tmp_path: Path) -> None:
    with pytest.raises(ComposeFileError) as info:
        _project(tmp_path, "services:\n  web:\n    image: ${TAG:?set TAG}\n")
    assert str(info.value) == ("compose.yaml: services.web.image: required variable TAG "
                               "is missing a value: set TAG")


def test_invalid_port_error_names_the_item(tmp_path: Path) -> None:
    with pytest.raises(ComposeFileError) as info:
        _project(tmp_path, 'services:\n  web:\n    image: x\n    ports: ["80:80:80:80"]\n')
    assert str(info.value) == 'compose.yaml: services.web.ports[0]: invalid port "80:80:80:80"'


def test_interpolated_values_are_typed(tmp_path: Path) -> None:
    project = _project(tmp_path, "services:\n  web:\n    image: x\n    read_only: ${RO}\n"
                       "    deploy: {replicas: '${N}'}\n", env={"RO": "true", "N": "3"})
    assert project.services["web"]["read_only"] is True
    assert project.services["web"]["deploy"]["replicas"] == 3


def test_yaml_1_2_scalars_anchors_and_merge_keys(tmp_path: Path) -> None:
    project = _project(tmp_path, """
x-base: &base
  image: busybox
  environment: {MODE: yes}
services:
  web:
    <<: *base
    ports: [80:80]
    command: echo on
""")
    web = project.services["web"]
    assert web["image"] == "busybox"
    assert web["environment"] == {"MODE": "yes"}
    assert web["ports"][0]["published"] == "80" and web["ports"][0]["target"] == 80
    assert web["command"] == ["echo", "on"]


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ComposeFileError, match="mapping key 'image' already defined"):
        _project(tmp_path, "services:\n  web:\n    image: a\n    image: b\n")


def test_override_file_merge_rules(tmp_path: Path) -> None:
    project = _project(tmp_path, """
services:
  web:
    image: a
    command: [one, two]
    environment: [A=1, B=2]
    ports: ["8080:80", "9000:9000"]
    volumes: ["./data:/data", "/logs"]
    cap_add: [NET_ADMIN]
    labels: {x: "1"}
""", """
services:
  web:
    image: b
    command: [three]
    environment: {B: "3", C: "4"}
    ports: ["8080:80"]
    volumes: ["./other:/data"]
    cap_add: [NET_ADMIN, SYS_TIME]
    labels: !override {y: "2"}
""")
    web = project.services["web"]
    assert web["image"] == "b"
    assert web["command"] == ["three"]
    assert web["environment"] == {"A": "1", "B": "3", "C": "4"}
    assert [(p.get("published"), p["target"]) for p in web["ports"]] == [
        ("8080", 80), ("9000", 9000)]
    assert [(v.get("source"), v["target"]) for v in web["volumes"]] == [
        (str(tmp_path / "other"), "/data"), (None, "/logs")]
    assert web["cap_add"] == ["NET_ADMIN", "SYS_TIME"]
    assert web["labels"] == {"y": "2"}


def test_reset_removes_what_the_base_file_said(tmp_path: Path) -> None:
    project = _project(tmp_path, "services:\n  web:\n    image: a\n    ports: ['80']\n",
                       "services:\n  web:\n    ports: !reset []\n")
    assert "ports" not in project.services["web"]


def test_profiles(tmp_path: Path) -> None:
    text = "services:\n  web: {image: a}\n  debug: {image: b, profiles: [dev]}\n"
    assert sorted(_project(tmp_path, text).services) == ["web"]
    assert sorted(_project(tmp_path, text, profiles=["dev"]).services) == ["debug", "web"]
    assert sorted(_project(tmp_path, text, env={"COMPOSE_PROFILES": "dev"}).services) == [
        "debug", "web"]


def test_project_name_precedence(tmp_path: Path) -> None:
    text = "name: fromfile\nservices:\n  web: {image: a}\n"
    assert _project(tmp_path, text).name == "fromfile"
    assert _project(tmp_path, text, env={"COMPOSE_PROJECT_NAME": "fromenv"}).name == "fromenv"
    assert _project(tmp_path, text, project_name="flag",
                    env={"COMPOSE_PROJECT_NAME": "fromenv"}).name == "flag"
    with pytest.raises(ComposeFileError, match="invalid project name 'Bad Name'"):
        _project(tmp_path, text, project_name="Bad Name")


def test_dot_env_and_env_file_flag(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TAG=fromdotenv\n")
    (tmp_path / "other.env").write_text("TAG=fromflag\n")
    text = "services:\n  web: {image: 'busybox:${TAG}'}\n"
    assert _project(tmp_path, text).services["web"]["image"] == "busybox:fromdotenv"
    assert _project(tmp_path, text, env_files=["other.env"]).services["web"]["image"] == \
        "busybox:fromflag"
    assert _project(tmp_path, text, env={"TAG": "os"}).services["web"]["image"] == "busybox:os"


def test_short_syntax_normalisation(tmp_path: Path) -> None:
    web = _project(tmp_path, """
services:
  db: {image: d}
  web:
    image: a
    depends_on: [db]
    healthcheck: {test: curl -f localhost, interval: 90s, timeout: 1500ms}
    stop_grace_period: 1m
    extra_hosts: ["host:1.2.3.4"]
    ports: ["127.0.0.1:5000-5001:6000-6001/udp"]
    volumes: ["named:/x:ro,nocopy", "~/y:/y:z"]
volumes:
  named:
""", env={"HOME": "/home/me"}).services["web"]
    assert web["depends_on"] == {"db": {"condition": "service_started", "required": True}}
    assert web["healthcheck"] == {"test": ["CMD-SHELL", "curl -f localhost"],
                                  "interval": "1m30s", "timeout": "1.5s"}
    assert web["stop_grace_period"] == "1m0s"
    assert web["extra_hosts"] == ["host=1.2.3.4"]
    assert web["ports"] == [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 6000 + i,
         "published": str(5000 + i), "protocol": "udp"} for i in range(2)]
    assert web["volumes"] == [
        {"type": "volume", "source": "named", "target": "/x", "read_only": True,
         "volume": {"nocopy": True}},
        {"type": "bind", "source": "/home/me/y", "target": "/y", "bind": {"selinux": "z"}}]


@pytest.mark.parametrize(("text", "message"), [
    ("services:\n  web: {build: .}\n  x: {}\n", "service 'x' has neither an image"),
    ("services:\n  web: {image: a, depends_on: [db]}\n", "depends on undefined service 'db'"),
    ("services:\n  web: {image: a, networks: [n]}\n", "refers to undefined network 'n'"),
    ("services:\n  web: {image: a, volumes: ['v:/v']}\n", "refers to undefined volume 'v'"),
    ("services:\n  web: {image: a, ports: [{target: 1, bogus: 2}]}\n",
     r"compose.yaml: services.web.ports\[0\]: additional properties 'bogus' not allowed"),
    ("services: [a]\n", "compose.yaml: services must be a mapping"),
    ("services:\n  web:\n    image: [\n", "compose.yaml: line"),
])
def test_refused_projects(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ComposeFileError, match=message):
        _project(tmp_path, text)


def test_units() -> None:
    assert parse_duration("1h2m3.5s") == 3_723_500_000_000
    assert format_duration(parse_duration("90s")) == "1m30s"
    assert format_duration(parse_duration("100ms")) == "100ms"
    assert parse_bytes("50M") == 52_428_800
    assert parse_bytes("1gb") == 1 << 30


def test_cli_config_error_is_one_line_and_exit_125(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        'services:\n  web:\n    image: a\n    ports: ["80:80:80:80"]\n')
    script = Path(sys.executable).parent / "hullbox"
    result = subprocess.run([str(script), "compose", "config"], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 125
    assert result.stderr == ('hullbox: compose.yaml: services.web.ports[0]: '
                             'invalid port "80:80:80:80"\n')
    assert result.stdout == ""
