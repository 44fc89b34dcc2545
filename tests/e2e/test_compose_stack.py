"""A three-tier compose project as a user writes one: each tier built from its
own Dockerfile by ``up``, web (httpd, published on 127.0.0.1) -> app (by
service name) -> db (by its network alias, healthy only after a delay by the
HEALTHCHECK of its image, data in a named volume seeded from the image)."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = [pytest.mark.root, pytest.mark.network]

STACK = """
services:
  db:
    build: ./db
    init: true
    volumes: [dbdata:/data]
    networks:
      default:
        aliases: [database]
  app:
    build:
      context: ./app
      args: {DB_URL: "http://database:5432/row"}
    init: true
    depends_on:
      db: {condition: service_healthy}
  web:
    build: {context: ./web, dockerfile: Containerfile}
    init: true
    volumes: [./static:/www/static:ro]
    ports: ["127.0.0.1:${WEB_PORT}:80"]
    depends_on: [app]
volumes:
  dbdata: {}
"""

DOCKERFILES = {
    "db/Dockerfile": """FROM busybox
RUN mkdir /data && echo seed > /data/row
HEALTHCHECK --interval=300ms --retries=50 CMD test -f /tmp/ready
CMD ["sh", "-c", "sleep 2; echo stored >> /data/row; touch /tmp/ready; echo db ready; \\
     exec httpd -f -p 5432 -h /data"]
""",
    "app/Dockerfile": """FROM busybox
ARG DB_URL
COPY q /srv/cgi-bin/q
RUN sed -i "s|@URL@|$DB_URL|" /srv/cgi-bin/q
CMD ["httpd", "-f", "-p", "8000", "-h", "/srv"]
""",
    "web/Containerfile": """FROM busybox
COPY q /www/cgi-bin/q
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
""",
}

CGI = "#!/bin/sh\necho Content-Type: text/plain\necho\nwget -qO- {url}\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_stack(directory: Path, port: int) -> None:
    (directory / "compose.yaml").write_text(STACK)
    (directory / ".env").write_text(f"WEB_PORT={port}\n")
    for path, text in DOCKERFILES.items():
        (directory / path).parent.mkdir(exist_ok=True)
        (directory / path).write_text(text)
    for tier, url in (("app", "@URL@"), ("web", "http://app:8000/cgi-bin/q")):
        script = directory / tier / "q"
        script.write_text(CGI.format(url=url))
        script.chmod(0o755)
    (directory / "static").mkdir()
    (directory / "static" / "hello.txt").write_text("static hello\n")


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", *args], cwd=directory,
                          capture_output=True, text=True, env=hullbox.env(), timeout=120,
                          check=False)


def _fetch(port: int, path: str = "/cgi-bin/q") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        return str(answer.read().decode())


def _inspect(hullbox: Hullbox, name: str) -> dict[str, object]:
    return dict(json.loads(hullbox.ok("inspect", name))[0])


@pytest.fixture
def stack(hullbox: Hullbox, tmp_path: Path) -> Iterator[tuple[Hullbox, Path, int]]:
    directory = tmp_path / "tstack"
    directory.mkdir()
    port = _free_port()
    _write_stack(directory, port)
    yield hullbox, directory, port
    _compose(hullbox, directory, "down", "-v", "-t", "0", "--rmi", "local")


def _leftovers(hullbox: Hullbox, ids: list[str], network_id: str) -> dict[str, object]:
    """What of the project still exists anywhere."""
    nft = subprocess.run(["nft", "-j", "list", "table", "ip", "hullbox"], capture_output=True,
                         text=True, check=False).stdout
    with sqlite3.connect(hullbox.root / "hullbox.db") as db:
        marks = ",".join("?" * len(ids))
        leases = db.execute(f"SELECT COUNT(*) FROM network_leases WHERE container_id IN "
                            f"({marks})", ids).fetchone()[0]
    return {
        "containers": hullbox.ok("ps", "-aq", "--filter",
                                 "label=com.docker.compose.project=tstack").split(),
        "networks": [n for n in hullbox.ok("network", "ls", "--format", "{{.Name}}").split()
                     if n.startswith("tstack")],
        "volumes": [v for v in hullbox.ok("volume", "ls", "-q").split()
                    if v.startswith("tstack")],
        "images": _image_ids(hullbox),
        "bridge": Path(f"/sys/class/net/hb-{network_id[:12]}").exists(),
        "nft": sum(nft.count(f"hullbox:{i}") for i in ids) + nft.count(network_id),
        "leases": leases,
    }


def _image_ids(hullbox: Hullbox) -> dict[str, str]:
    listing = hullbox.ok("images", "--no-trunc", "--format", "{{.Repository}} {{.ID}}")
    return {repo: image for repo, image in (line.split() for line in listing.splitlines())
            if repo.startswith("tstack-")}


def test_three_tiers_built_from_dockerfiles_answer_and_keep_their_data_until_down_v(
        stack: tuple[Hullbox, Path, int]) -> None:
    hullbox, directory, port = stack
    up = _compose(hullbox, directory, "up", "-d")
    assert up.returncode == 0, up.stderr
    assert " Network tstack_default  Created" in up.stderr
    assert " Volume tstack_dbdata  Created" in up.stderr
    assert all(f"Building {tier}" in up.stderr for tier in ("db", "app", "web"))
    built = _image_ids(hullbox)
    assert sorted(built) == ["tstack-app", "tstack-db", "tstack-web"]
    # web's CGI asks app by service name, app's asks db by its alias; the
    # named volume starts with what the db image has in /data
    assert _fetch(port) == "seed\nstored\n"
    assert _fetch(port, "/static/hello.txt") == "static hello\n"

    # app started only once db's check (from its image's HEALTHCHECK) had passed
    db, app = _inspect(hullbox, "tstack-db-1"), _inspect(hullbox, "tstack-app-1")
    passed = [e["End"] for e in db["State"]["Health"]["Log"]  # type: ignore[index]
              if e["ExitCode"] == 0]
    assert passed and min(passed) <= app["State"]["StartedAt"]  # type: ignore[index]

    ps = _compose(hullbox, directory, "ps", "--format", "{{.Name}} {{.Status}} {{.Ports}}")
    lines = [line.strip() for line in ps.stdout.splitlines()]
    assert [line.split()[0] for line in lines] == ["tstack-app-1", "tstack-db-1",
                                                  "tstack-web-1"]
    assert lines[1].endswith("(healthy)")
    assert lines[2].endswith(f"127.0.0.1:{port}->80/tcp")
    assert _compose(hullbox, directory, "port", "web", "80").stdout == f"127.0.0.1:{port}\n"
    assert _compose(hullbox, directory, "logs", "db").stdout == "db-1  | db ready\n"
    assert _compose(hullbox, directory, "exec", "db", "cat", "/data/row").stdout == \
        "seed\nstored\n"
    assert _compose(hullbox, directory, "exec", "app", "sh", "-c", "exit 3").returncode == 3

    # the volume outlives down; a second up reuses the built images (no
    # rebuild) and db appends to the same file
    assert _compose(hullbox, directory, "down").returncode == 0
    assert "tstack_dbdata" in hullbox.ok("volume", "ls", "-q").split()
    again = _compose(hullbox, directory, "up", "-d")
    assert again.returncode == 0, again.stderr
    assert "Building" not in again.stderr and _image_ids(hullbox) == built
    assert _fetch(port) == "seed\nstored\nstored\n"

    # down -v takes the volume: the next up starts from the image's seed again
    down = _compose(hullbox, directory, "down", "-v")
    assert down.returncode == 0, down.stderr
    assert " Volume tstack_dbdata  Removed" in down.stderr
    assert "tstack_dbdata" not in hullbox.ok("volume", "ls", "-q").split()
    assert _compose(hullbox, directory, "up", "-d").returncode == 0
    assert _fetch(port) == "seed\nstored\n"

    ids = [r.strip() for r in hullbox.ok("ps", "-aq", "--no-trunc", "--filter",
                                          "label=com.docker.compose.project=tstack").split()]
    network_id = str(json.loads(hullbox.ok("network", "inspect", "tstack_default"))[0]["Id"])
    down = _compose(hullbox, directory, "down", "-v", "--rmi", "local")
    assert down.returncode == 0, down.stderr
    assert _leftovers(hullbox, ids, network_id) == {
        "containers": [], "networks": [], "volumes": [], "images": {}, "bridge": False,
        "nft": 0, "leases": 0}


def test_a_dependency_that_never_gets_healthy_stops_up_in_one_line(
        hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  db:\n    image: busybox\n    command: sleep 300\n    stop_signal: SIGKILL\n"
        "    healthcheck: {test: ['CMD', 'false'], interval: 200ms, retries: 2}\n"
        "  app:\n    image: busybox\n    command: sleep 300\n"
        "    depends_on: {db: {condition: service_healthy}}\n")
    try:
        up = _compose(hullbox, tmp_path, "-p", "tneverhealthy", "up", "-d")
        assert up.returncode == 125
        assert up.stderr.splitlines()[-1] == (
            "hullbox: dependency failed to start: container tneverhealthy-db-1 is "
            "unhealthy; 'app' not started")
        names = hullbox.ok("ps", "-a", "--format", "{{.Names}}").split()
        assert "tneverhealthy-db-1" in names and "tneverhealthy-app-1" not in names
    finally:
        _compose(hullbox, tmp_path, "-p", "tneverhealthy", "down", "-t", "0")


def test_wait_timeout_bounds_a_slow_health_check(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  db:\n    image: busybox\n    command: sleep 300\n    stop_signal: SIGKILL\n"
        "    healthcheck: {test: ['CMD', 'false'], interval: 1m, start_period: 5m}\n"
        "  app:\n    image: busybox\n    command: sleep 300\n"
        "    depends_on: {db: {condition: service_healthy}}\n")
    try:
        up = _compose(hullbox, tmp_path, "-p", "tslowhealth", "up", "-d", "--wait-timeout", "1")
        assert up.returncode == 125
        assert up.stderr.splitlines()[-1] == (
            "hullbox: dependency failed to start: container tslowhealth-db-1 was not "
            "healthy within 1s; 'app' not started")
    finally:
        _compose(hullbox, tmp_path, "-p", "tslowhealth", "down", "-t", "0")


def test_a_dependency_without_a_health_check_is_named(hullbox: Hullbox,
                                                      tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  db: {image: busybox, command: sleep 300, stop_signal: SIGKILL}\n"
        "  app:\n    image: busybox\n    command: sleep 300\n"
        "    depends_on: {db: {condition: service_healthy}}\n")
    try:
        up = _compose(hullbox, tmp_path, "-p", "tnocheck", "up", "-d")
        assert up.returncode == 125
        assert up.stderr.splitlines()[-1] == (
            "hullbox: service 'app' depends on 'db' being healthy, but container "
            "tnocheck-db-1 has no health check; add a healthcheck to 'db' or use "
            "condition: service_started")
    finally:
        _compose(hullbox, tmp_path, "-p", "tnocheck", "down", "-t", "0")


def test_up_wait_returns_once_healthy_and_down_rmi_local_removes_built_images(
        hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  db:\n    image: busybox\n    stop_signal: SIGKILL\n"
        "    command: sh -c 'sleep 1; touch /tmp/ready; exec sleep 300'\n"
        "    healthcheck: {test: ['CMD', 'test', '-f', '/tmp/ready'], interval: 200ms,"
        " retries: 30}\n"
        "  tool:\n    build: {context: ., dockerfile_inline: \"FROM busybox\\nCMD sleep 300\"}\n"
        "    stop_signal: SIGKILL\n")
    try:
        up = _compose(hullbox, tmp_path, "-p", "twait", "up", "--wait")
        assert up.returncode == 0, up.stderr
        # --wait implies -d and returns only when the checked service is healthy
        assert hullbox.ok("inspect", "-f", "{{.State.Health.Status}}", "twait-db-1") == \
            "healthy\n"
        assert hullbox.ok("inspect", "-f", "{{.State.Status}}", "twait-tool-1") == "running\n"
        down = _compose(hullbox, tmp_path, "-p", "twait", "down", "-t", "0", "--rmi", "local")
        assert down.returncode == 0, down.stderr
        images = hullbox.ok("images", "--format", "{{.Repository}}").split()
        assert "twait-tool" not in images and "busybox" in images  # image: ones stay
    finally:
        _compose(hullbox, tmp_path, "-p", "twait", "down", "-t", "0")


def test_up_wait_fails_in_one_line_when_a_service_turns_unhealthy(
        hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  db:\n    image: busybox\n    command: sleep 300\n    stop_signal: SIGKILL\n"
        "    healthcheck: {test: ['CMD', 'false'], interval: 200ms, retries: 2}\n")
    try:
        up = _compose(hullbox, tmp_path, "-p", "twaitbad", "up", "--wait")
        assert up.returncode == 125
        assert up.stderr.splitlines()[-1] == "hullbox: container twaitbad-db-1 is unhealthy"
    finally:
        _compose(hullbox, tmp_path, "-p", "twaitbad", "down", "-t", "0")
