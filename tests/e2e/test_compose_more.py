"""docker compose v2's newer verbs as a user types them (``create``, ``ls``,
``scale``, ``wait``, ``volumes``, ``cp``, ``stats``), and the classic ones
the other files do not type (``up --no-deps``, ``logs -f``, ``images``)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

PROJECT = """
services:
  web:
    image: busybox
    command: sh -c 'echo web up; exec sleep 300'
    stop_signal: SIGKILL
    volumes: [data:/data]
    depends_on: [db]
  db:
    image: busybox
    command: sleep 300
    stop_signal: SIGKILL
  job:
    image: busybox
    command: sh -c 'sleep 1; exit 7'
volumes:
  data: {}
  spare: {}
"""


@pytest.fixture
def project(hullbox: Hullbox, tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "tmore"
    directory.mkdir()
    (directory / "compose.yaml").write_text(PROJECT)
    yield directory
    _compose(hullbox, directory, "down", "-v", "-t", "0")


def _compose(hullbox: Hullbox, directory: Path, *args: str,
             stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    raw = subprocess.run([*hullbox_command(), "compose", *args], cwd=directory,
                         capture_output=True, timeout=120, env=hullbox.env(), check=False,
                         input=stdin)
    return subprocess.CompletedProcess(raw.args, raw.returncode, raw.stdout.decode(),
                                       raw.stderr.decode())


def _states(hullbox: Hullbox) -> dict[str, str]:
    out = hullbox.ok("ps", "-a", "--filter", "label=com.docker.compose.project=tmore",
                     "--format", "{{.Names}} {{.State}}")
    return dict(line.split() for line in out.splitlines())


def _ls(hullbox: Hullbox, directory: Path, *args: str) -> list[dict[str, str]]:
    rows = json.loads(_compose(hullbox, directory, "ls", "--format", "json", *args).stdout)
    return [row for row in rows if row["Name"] == "tmore"]


def test_create_ls_scale_and_up_no_deps(hullbox: Hullbox, project: Path) -> None:
    create = _compose(hullbox, project, "create", "web")
    assert create.returncode == 0, create.stderr
    assert _states(hullbox) == {"tmore-web-1": "created", "tmore-db-1": "created"}
    assert _ls(hullbox, project) == []  # nothing runs: ls shows it only with -a
    assert _ls(hullbox, project, "-a") == [{
        "Name": "tmore", "Status": "created(2)",
        "ConfigFiles": str(project / "compose.yaml")}]

    up = _compose(hullbox, project, "up", "-d", "--no-deps", "web")
    assert up.returncode == 0, up.stderr
    assert _states(hullbox) == {"tmore-web-1": "running", "tmore-db-1": "created"}
    assert _ls(hullbox, project, "-a")[0]["Status"] == "created(1), running(1)"
    assert "tmore" in _compose(hullbox, project, "ls", "-q").stdout.split()

    scale = _compose(hullbox, project, "scale", "web=3", "--no-deps")
    assert scale.returncode == 0, scale.stderr
    assert _states(hullbox) == {"tmore-web-1": "running", "tmore-web-2": "running",
                                "tmore-web-3": "running", "tmore-db-1": "created"}
    bad = _compose(hullbox, project, "scale", "web")
    assert (bad.returncode, bad.stderr) == (125, "hullbox: invalid --scale 'web': use "
                                                 "SERVICE=NUMBER\n")


def test_wait_returns_the_exit_code_and_down_project_drops_it(hullbox: Hullbox,
                                                              project: Path) -> None:
    assert _compose(hullbox, project, "up", "-d", "job", "db").returncode == 0
    job_id = hullbox.ok("inspect", "-f", "{{.Id}}", "tmore-job-1").strip()
    wait = _compose(hullbox, project, "wait", "job")
    assert wait.returncode == 7, wait.stderr
    assert wait.stdout == f'container "{job_id}" exited with status code 7\n'
    assert _compose(hullbox, project, "up", "-d", "job").returncode == 0
    dropped = _compose(hullbox, project, "wait", "--down-project", "job", "db")
    assert dropped.returncode == 7, dropped.stderr
    assert _states(hullbox) == {}


def test_logs_follow_images_volumes_cp_and_stats(hullbox: Hullbox, project: Path) -> None:
    assert _compose(hullbox, project, "up", "-d", "web").returncode == 0
    follow = subprocess.Popen([*hullbox_command(), "compose", "logs", "-f", "web"],
                              cwd=project, stdout=subprocess.PIPE, text=True,
                              env=hullbox.env())
    try:
        assert follow.stdout is not None
        assert follow.stdout.readline() == "web-1  | web up\n"
        time.sleep(0.5)
        assert follow.poll() is None  # -f goes on until the container stops
        hullbox.ok("stop", "-t", "0", "tmore-web-1")
        assert follow.wait(timeout=60) == 0
    finally:
        follow.kill()
        follow.wait()
    assert _compose(hullbox, project, "start", "web").returncode == 0

    images = _compose(hullbox, project, "images").stdout.splitlines()
    assert images[0].split()[:3] == ["CONTAINER", "REPOSITORY", "TAG"]
    assert sorted(line.split()[:3][0] for line in images[1:]) == ["tmore-db-1", "tmore-web-1"]

    # volumes: the project's, those a service uses when named
    assert _compose(hullbox, project, "volumes", "-q").stdout.split() == ["tmore_data"]
    assert _compose(hullbox, project, "volumes", "-q", "db").stdout == ""

    # cp both ways, and --all to every replica
    (project / "note.txt").write_text("a note\n")
    assert _compose(hullbox, project, "cp", "note.txt", "web:/data/").returncode == 0
    assert _compose(hullbox, project, "exec", "web", "cat", "/data/note.txt").stdout == \
        "a note\n"
    assert _compose(hullbox, project, "cp", "web:/data/note.txt", "back.txt").returncode == 0
    assert (project / "back.txt").read_text() == "a note\n"
    assert _compose(hullbox, project, "up", "-d", "--scale", "db=2", "db").returncode == 0
    everywhere = _compose(hullbox, project, "cp", "--all", "note.txt", "db:/")
    assert everywhere.returncode == 0, everywhere.stderr
    for index in ("1", "2"):
        assert _compose(hullbox, project, "exec", "--index", index, "db", "cat",
                        "/note.txt").stdout == "a note\n"

    stats = _compose(hullbox, project, "stats", "--no-stream", "--format", "{{.Name}}")
    assert sorted(stats.stdout.split()) == ["tmore-db-1", "tmore-db-2", "tmore-web-1"]


def test_attach_commit_and_export_pick_the_services_container(hullbox: Hullbox,
                                                              project: Path) -> None:
    import tarfile

    (project / "compose.yaml").write_text(
        "services:\n  ticker:\n    image: busybox\n    stop_signal: SIGKILL\n"
        "    command: sh -c 'while true; do echo tick; sleep 0.2; done'\n")
    assert _compose(hullbox, project, "up", "-d").returncode == 0
    attach = subprocess.Popen([*hullbox_command(), "compose", "attach", "--no-stdin",
                               "ticker"], cwd=project, stdout=subprocess.PIPE, text=True,
                              env=hullbox.env())
    try:
        assert attach.stdout is not None
        assert attach.stdout.readline() == "tick\n"
    finally:
        attach.kill()
        attach.wait()
    assert _compose(hullbox, project, "exec", "ticker", "sh", "-c",
                    "echo kept > /kept").returncode == 0
    commit = _compose(hullbox, project, "commit", "-m", "snap", "ticker", "tmore-snap:1")
    assert commit.returncode == 0, commit.stderr
    try:
        assert hullbox.ok("run", "--rm", "--entrypoint", "cat", "tmore-snap:1",
                          "/kept") == "kept\n"
    finally:
        hullbox("rmi", "tmore-snap:1")
    export = _compose(hullbox, project, "export", "-o", "fs.tar", "ticker")
    assert export.returncode == 0, export.stderr
    with tarfile.open(project / "fs.tar") as archive:
        kept = archive.extractfile("kept")
        assert kept is not None and kept.read() == b"kept\n"
    missing = _compose(hullbox, project, "export", "--index", "2", "ticker")
    assert (missing.returncode, missing.stderr) == (
        125, "hullbox: service 'ticker' has no container number 2; start it with: "
             "hullbox compose up -d ticker\n")
