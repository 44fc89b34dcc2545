"""``diff``, ``system df`` (its four rows and ``-v``), and the verbs of
docker's groups (``docker container|image|system|volume --help``) present
in hullbox's groups, as a user types them."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root


def test_diff_lists_added_changed_and_deleted(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "--name", name, "busybox", "sh", "-c",
               "mkdir -p /tmp/new/deep && echo x > /tmp/new/deep/f && rm /bin/ls && "
               "echo y >> /etc/passwd && touch /newfile")
    assert hullbox.ok("diff", name) == (
        "C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nA /newfile\n"
        "C /tmp\nA /tmp/new\nA /tmp/new/deep\nA /tmp/new/deep/f\n")
    assert hullbox.ok("container", "diff", name) == hullbox.ok("diff", name)
    # the files the runtime mounts over (/etc/hosts ...) are not the container's changes
    hullbox.ok("create", "--name", f"{name}-new", "busybox", "true")
    assert hullbox.ok("diff", f"{name}-new") == ""
    missing = hullbox("diff", f"{name}-nope")
    assert (missing.returncode, missing.stderr) == (125, f"hullbox: no such container: "
                                                         f"{name}-nope\n")


@pytest.fixture
def store(new_store: Callable[[str], Hullbox], busybox_tar: Path) -> Hullbox:
    box = new_store("df")
    box.ok("import", str(busybox_tar), "busybox:latest")
    return box


def test_system_df_rows_and_verbose(store: Hullbox, tmp_path: Path) -> None:
    store.ok("volume", "create", "used")
    store.ok("volume", "create", "idle")
    store.ok("run", "--name", "writer", "-v", "used:/d", "busybox", "sh", "-c",
             "head -c 3000 /dev/zero > /d/x; head -c 2000 /dev/zero > /y")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi > /hi\n")
    store.ok("build", "-t", "built:1", str(tmp_path))
    rows = {json.loads(line)["Type"]: json.loads(line)
            for line in store.ok("system", "df", "--format", "json").splitlines()}
    assert list(rows) == ["Images", "Containers", "Local Volumes", "Build Cache"]
    assert (rows["Local Volumes"]["TotalCount"], rows["Local Volumes"]["Active"]) == ("2", "1")
    assert rows["Build Cache"]["TotalCount"] == "1"
    assert rows["Containers"]["Size"] == "2kB"
    table = store.ok("system", "df").splitlines()
    assert table[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert [line.split("  ")[0] for line in table[1:]] == \
        ["Images", "Containers", "Local Volumes", "Build Cache"]

    text = store.ok("system", "df", "-v")
    sections = text.split("\n\n")
    assert sections[0] == "Images space usage:"
    images = sections[1].splitlines()
    assert re.split(r" {3,}", images[0]) == ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE",
                                      "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"]
    busybox = next(line for line in images if line.startswith("busybox "))
    built = next(line for line in images if line.startswith("built "))
    busybox_size = busybox.split()[-4]
    # built:1 shares busybox's layer: its shared size is busybox's whole size
    assert built.split()[-3] == busybox_size and busybox.split()[-1] == "1"
    assert sections[2] == "Containers space usage:"
    writer = sections[3].splitlines()[1]
    assert writer.startswith(store.ok("inspect", "-f", "{{.Id}}", "writer")[:12])
    assert writer.endswith("writer") and "   1   " in writer and " 2kB " in writer
    assert sections[4] == "Local Volumes space usage:"
    assert sorted(line.split()[:2] for line in sections[5].splitlines()[1:]) == \
        [["idle", "0"], ["used", "1"]]
    assert sections[6].startswith("Build cache usage: ")
    assert len(sections[7].splitlines()) == 2  # header and the RUN step's layer
    data = json.loads(store.ok("system", "df", "-v", "--format", "json"))
    assert sorted(v["Name"] for v in data["Volumes"]) == ["idle", "used"]


def _verbs(args: list[str]) -> set[str]:
    """The verbs `docker GROUP --help` or `hullbox GROUP --help` lists."""
    out = subprocess.run([*args, "--help"], capture_output=True, text=True, check=False).stdout
    verbs, listing = set(), False
    for line in out.splitlines():
        if line.rstrip().endswith("Commands:"):
            listing = True
            continue
        if listing and line.startswith("  ") and line.split():
            verbs.add(line.split()[0])
        elif listing and not line.strip():
            listing = False
    return verbs


@pytest.mark.parametrize("group", ["container", "image", "system", "volume", "network"])
def test_every_verb_of_dockers_groups_is_in_hullboxs(hullbox: Hullbox, group: str) -> None:
    import shutil

    if shutil.which("docker") is None:
        pytest.skip("the docker client is not installed (apt-get install docker.io)")
    from .conftest import hullbox_command

    docker = _verbs(["docker", group])
    assert docker, f"docker {group} --help listed no verbs"
    # `container update` belongs to the resource flags' work (rf2), not to this one
    missing = docker - _verbs([*hullbox_command(), group]) - (
        {"update"} if group == "container" else set())
    assert not missing, f"hullbox {group} lacks {sorted(missing)}"


def test_volume_update_is_refused_in_one_line(hullbox: Hullbox) -> None:
    result = hullbox("volume", "update", "--availability", "drain", "x")
    assert result.returncode == 125 and result.stdout == ""
    assert result.stderr == ("hullbox: volume update works on swarm cluster volumes only, "
                             "and hullbox has no swarm; local volumes have nothing to update\n")
