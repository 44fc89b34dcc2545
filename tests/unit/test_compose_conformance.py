"""``compose config`` against the shared corpora: compose-go's loader cases
and docker compose's own e2e projects give the model those projects expect,
and the ones that must fail, fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hullbox.compose.dotenv import read_env_file
from hullbox.compose.options import ProjectOptions, load_project
from hullbox.compose.render import to_json, to_yaml
from hullbox.compose.schema import validate
from hullbox.compose.yamlsrc import parse_yaml
from hullbox.errors import ComposeFileError


def _load(directory: Path, *files: str, env: dict[str, str] | None = None,
          **kwargs: Any) -> Any:
    options = ProjectOptions(files=list(files), environment=env or {"HOME": "/HOMEDIR"},
                             cwd=str(directory))
    for key in ("project_directory", "env_files", "profiles", "project_name"):
        if key in kwargs:
            setattr(options, key, kwargs.pop(key))
    return load_project(options, **kwargs)


# -- compose-go: the full example, byte for byte ----------------------------
def test_full_example_yaml_is_what_compose_go_prints(corpora: Path) -> None:
    loader = corpora / "compose" / "compose-go" / "loader"
    project = _load(loader, "full-example.yml",
                    env={"HOME": "/HOMEDIR", "QUX": "qux_from_environment"},
                    normalize=False, consistency=False)
    printed = to_yaml(project.model).replace(str(loader), "/WORKDIR")
    assert printed == (loader / "full-example.expected.yaml").read_text()


def test_full_example_json_is_what_compose_go_prints(corpora: Path) -> None:
    loader = corpora / "compose" / "compose-go" / "loader"
    project = _load(loader, "full-example.yml",
                    env={"HOME": "/HOMEDIR", "QUX": "qux_from_environment"},
                    normalize=False, consistency=False)
    printed = json.loads(to_json(project.model).replace(str(loader), "/WORKDIR"))
    assert printed == json.loads((loader / "full-example.expected.json").read_text())


def test_schema_accepts_variables_everywhere(corpora: Path) -> None:
    path = corpora / "compose" / "compose-go" / "schema" / "using-variables.yaml"
    validate(parse_yaml(path.read_text(), path.name), path.name)


# -- compose-go: dotenv fixtures ------------------------------------------------
DOTENV_EXPECTED: dict[str, dict[str, str]] = {
    "plain.env": {"OPTION_A": "1", "OPTION_B": "2", "OPTION_C": "3", "OPTION_D": "4",
                  "OPTION_E": "5", "456": "ABC", "OPTION_F": "", "OPTION_G": "",
                  "OPTION_H": "my string"},
    "quoted.env": {"OPTION_A": "1", "OPTION_B": "2", "OPTION_C": "", "OPTION_D": "\\n",
                   "OPTION_E": "1", "OPTION_F": "2", "OPTION_G": "", "OPTION_H": "\n",
                   "OPTION_I": "echo 'asd'",
                   "OPTION_J": "first line\nsecond line\nthird line\nand so on",
                   "OPTION_K": "Let's go!", "OPTION_Z": "last value"},
    "exported.env": {"OPTION_A": "2", "OPTION_B": "\\n"},
    "equals.env": {"OPTION_A": "postgres://localhost:5432/database?sslmode=disable"},
    "custom.format": {"FOO": "BAR", "ZOT": "QIX"},
    "special.env": {"VAR.WITH.DOTS": "dots", "VAR_WITH_UNDERSCORES": "underscores",
                    "VAR-WITH-DASHES": "dashes"},
    "substitutions.env": {"OPTION_A": "1", "OPTION_B": "1", "OPTION_C": "1",
                          "OPTION_D": "1_1", "OPTION_E": ""},
    "substitutions-default.env": {"OPTION_A": "1", "OPTION_B": "1", "OPTION_C": "1",
                                  "OPTION_D": "1_1", "OPTION_E": ""},
    "unquoted.env": {"OPTION_A": "some quoted phrase",
                     "OPTION_B": "first one with an unquoted phrase",
                     "OPTION_C": "then another one with an unquoted phrase",
                     "OPTION_D": "then another one with an unquoted phrase special è char",
                     "OPTION_E": "then another one quoted phrase"},
    "inherited-single-var.env": {"VAR_TO_BE_LOADED_FROM_OS_ENV": "from-os"},
    "inherited-multi-var.env": {"foo": "bar", "VAR_TO_BE_LOADED_FROM_OS_ENV": "from-os",
                                "bar": "baz"},
    "inherited-not-found.env": {},
}
DOTENV_EXPECTED["utf8-bom.env"] = DOTENV_EXPECTED["plain.env"]


@pytest.mark.parametrize("name", sorted(DOTENV_EXPECTED))
def test_dotenv_fixture(corpora: Path, name: str) -> None:
    path = corpora / "compose" / "compose-go" / "dotenv" / "fixtures" / name
    got = read_env_file(path, {"VAR_TO_BE_LOADED_FROM_OS_ENV": "from-os"}.get)
    assert got == DOTENV_EXPECTED[name]


def test_dotenv_invalid_line_is_refused(corpora: Path) -> None:
    path = corpora / "compose" / "compose-go" / "dotenv" / "fixtures" / "invalid1.env"
    with pytest.raises(ComposeFileError, match="line 7: unexpected character ' '"):
        read_env_file(path)


# -- compose-go: loader testdata -----------------------------------------------
def _testdata(corpora: Path) -> Path:
    return corpora / "compose" / "compose-go" / "loader" / "testdata"


@pytest.mark.parametrize(("file", "message"), [
    ("compose-depends-on-cycle.yaml",
     "dependency cycle detected: service1 -> service2 -> service3 -> service1"),
    ("compose-depends-on-self.yaml", "dependency cycle detected: service1 -> service1"),
    ("compose-include-cycle.yaml", "include cycle detected"),
])
def test_loader_case_that_must_fail(corpora: Path, file: str, message: str) -> None:
    with pytest.raises(ComposeFileError, match=message):
        _load(_testdata(corpora), file)


def test_include_brings_services_with_their_own_paths(corpora: Path) -> None:
    data = _testdata(corpora)
    project = _load(data, "compose-include.yaml")
    imported = project.services["imported"]
    assert sorted(project.services) == ["bar", "imported"]
    assert imported["environment"] == {"SOURCE": "extends"}
    assert imported["env_file"] == [{"path": str(data / "subdir" / "extra.env")}]
    assert project.services["bar"]["environment"] == {"FOO": "BAR"}


def test_extends_from_another_file_reads_its_env_file_there(corpora: Path) -> None:
    data = _testdata(corpora)
    importer = _load(data, "compose-test-extends.yaml").services["importer"]
    assert importer["image"] == "nginx"
    assert importer["container_name"] == "imported"
    assert importer["environment"] == {"SOURCE": "extends"}


def test_extends_with_reset_drops_the_command(corpora: Path) -> None:
    project = _load(_testdata(corpora) / "extends", "reset.yaml")
    assert "command" not in project.services["base"]
    assert project.services["base"]["image"] == "alpine:latest"
    assert project.services["init"]["command"] == ["sleep", "infinity"]


def test_extends_chain_across_directories(corpora: Path) -> None:
    project = _load(_testdata(corpora) / "extends" / "withdir", "compose.yaml")
    assert project.services["test"]["image"] == "hello-world"


def test_include_and_extends_combined_keep_the_extended_context(corpora: Path) -> None:
    data = _testdata(corpora) / "combined"
    project = _load(data, "compose.yaml")
    assert project.services["service"]["build"]["context"] == str(data / "dir")


def test_include_with_project_directory(corpora: Path) -> None:
    data = _testdata(corpora)
    service = _load(data / "include", "project-directory.yaml").services["service"]
    assert service["build"]["context"] == str(data / "subdir")
    assert service["volumes"][0]["source"] == str(
        data / "subdir" / "compose-test-extends-imported.yaml")
    assert service["environment"] == {"SOURCE": "extends"}


def test_extends_of_interpolated_volume(corpora: Path) -> None:
    service = _load(_testdata(corpora) / "extends", "interpolated.yaml").services["foo"]
    assert service["volumes"] == [{"type": "bind", "source": "/dev/null",
                                   "target": "/tmp/foo", "read_only": True, "bind": {}}]


def test_empty_file_is_an_empty_project(corpora: Path) -> None:
    assert _load(_testdata(corpora), "empty.yaml").services == {}


def test_version_attribute_is_dropped(corpora: Path) -> None:
    project = _load(_testdata(corpora), "compose-test-with-version.yaml")
    assert "version" not in project.model
    assert project.services["web"]["networks"] == {"front": None, "default": None}


# -- compose-go: cli testdata ------------------------------------------------------
def test_compose_file_and_name_from_dot_env(corpora: Path) -> None:
    directory = corpora / "compose" / "compose-go" / "cli" / "testdata" / "env-file"
    project = _load(directory)
    assert project.name == "my_project_from_dot_env"
    assert project.services["simple"]["ports"][0]["published"] == "8000"
    assert project.services["simple"]["environment"] == {"DEFAULT_PORT": "8080"}


def test_env_file_flag_replaces_dot_env(corpora: Path) -> None:
    directory = corpora / "compose" / "compose-go" / "cli" / "testdata" / "env-file"
    project = _load(directory, "compose-with-env-files.yaml", env_files=["override.env"])
    assert project.services["simple"]["ports"][0]["published"] == "9000"
    assert project.services["simple"]["environment"] == {"DEFAULT_PORT": "9090"}


def test_unnormalized_directory_name(corpora: Path) -> None:
    directory = corpora / "compose" / "compose-go" / "cli" / "testdata" / "UNNORMALIZED PATH"
    assert _load(directory).name == "unnormalizedpath"


def test_variables_from_dot_env(corpora: Path) -> None:
    directory = corpora / "compose" / "compose-go" / "cli" / "testdata" / "simple"
    project = _load(directory, "compose-with-variables.yaml")
    assert project.services["simple"]["ports"][0]["published"] == "8000"


# -- docker compose e2e fixtures ---------------------------------------------------
def _e2e(corpora: Path) -> Path:
    return corpora / "compose" / "docker-compose-e2e"


E2E_LOADS = [
    "bridge/compose.yaml", "build-test/compose.yaml", "build-test/minimal/compose.yaml",
    "build-test/multi-args/compose.yaml", "build-test/privileged/compose.yaml",
    "build-test/entitlements/compose.yaml", "build-test/platforms/compose.yaml",
    "build-test/platforms/compose-multiple-platform-builds.yaml",
    "build-test/platforms/compose-service-platform-and-no-build-platforms.yaml",
    "build-test/platforms/compose-service-platform-not-in-build-platforms.yaml",
    "build-test/platforms/compose-unsupported-platform.yml",
    "cascade/compose.yaml", "config_hash/compose.yaml", "network-test/compose.yaml",
    "project-volume-bind-test/docker-compose.yml", "restart-test/compose.yaml",
    "restart-test/compose-depends-on.yaml", "sentences/compose.yaml",
    "simple-composefile/compose.yaml", "start-stop/compose.yaml", "start-stop/other.yaml",
    "ups-deps-stop/compose.yaml", "ups-deps-stop/orphan.yaml", "volume-test/compose.yaml",
    "wait/compose.yaml", "wrong-composefile/build-error.yml",
    "wrong-composefile/unknown-image.yml", "dotenv/development/compose.yaml",
]


@pytest.mark.parametrize("file", E2E_LOADS)
def test_e2e_project_loads_and_round_trips(corpora: Path, file: str) -> None:
    path = _e2e(corpora) / file
    project = _load(path.parent, path.name, env={"HOME": "/HOMEDIR", "TEST_DIR": "/tmp"})
    raw = yaml.safe_load(path.read_text())
    assert sorted(project.services) == sorted(
        name for name, svc in raw["services"].items() if not svc.get("profiles"))
    # What config prints loads again to the same model.
    again = yaml.safe_load(to_yaml(project.model))
    assert again == json.loads(json.dumps(project.model))
    for service in project.services.values():
        assert service.get("network_mode") or service["networks"]


def test_e2e_wrong_field_is_refused_with_its_path(corpora: Path) -> None:
    with pytest.raises(ComposeFileError,
                       match=r"services\.simple: additional properties 'wrongField'"):
        _load(_e2e(corpora) / "wrong-composefile", "compose.yaml")


def test_e2e_missing_env_file_fails_only_its_service(corpora: Path) -> None:
    directory = _e2e(corpora) / "env_file"
    with pytest.raises(ComposeFileError, match="/doesnotexist/.env not found"):
        _load(directory)
    assert _load(directory, services=["serviceA"]).services["serviceA"]["image"] == \
        "nginx:latest"
    project = _load(directory, profiles=["test"], services=["serviceC"])
    assert project.services["serviceC"]["environment"] == {"FOO": "BAR"}


def _config(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "hullbox"
    return subprocess.run([str(script), "compose", *args, "config"], cwd=directory,
                          capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/HOMEDIR"})


def test_e2e_compose_file_set_by_dot_env(corpora: Path) -> None:
    result = _config(_e2e(corpora) / "dotenv")
    assert result.returncode == 0, result.stderr
    assert "image: test:latest" in result.stdout
    assert "image: enabled:profile" in result.stdout


def test_e2e_compose_file_set_by_project_directory(corpora: Path) -> None:
    result = _config(_e2e(corpora) / "dotenv", "--project-directory", "development")
    assert result.returncode == 0, result.stderr
    assert "image: backend:latest" in result.stdout


def test_e2e_network_names(corpora: Path) -> None:
    project = _load(_e2e(corpora) / "network-test", "compose.yaml")
    networks = project.model["networks"]
    assert networks["servicenet"]["name"] == "microservices"
    assert networks["dbnet"]["name"] == "network-test_dbnet"
    assert project.services["mydb"]["network_mode"] == "service:db"
    assert "networks" not in project.services["mydb"]
