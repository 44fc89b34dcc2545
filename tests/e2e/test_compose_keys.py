"""The service keys of issue 8 that the other files prove only as plans,
as a user writes them, checked where a user sees them: inside the
container (/proc, /etc, id, ulimit) and in ``inspect``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

PROJECT = """
services:
  app:
    image: busybox
    entrypoint: ["sh", "-c"]
    command: ["echo from the entrypoint; exec sleep 300"]
    stop_signal: SIGKILL
    env_file: [app.env]
    hostname: apphost
    user: "1000:1000"
    working_dir: /tmp
    read_only: true
    tmpfs: [/scratch]
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    security_opt: ["no-new-privileges:true"]
    extra_hosts: ["gateway.test:10.0.0.1"]
    dns: [10.0.0.53]
    ulimits: {nofile: {soft: 512, hard: 1024}}
    restart: on-failure:3
    labels: {tier: back}
    expose: ["8080", "9000-9001/udp"]
    deploy:
      replicas: 2
      resources: {limits: {memory: 64M, pids: 50}}
  fixed:
    image: busybox
    command: sleep 300
    stop_signal: SIGKILL
    init: true
    networks:
      front: {ipv4_address: 10.231.77.10}
networks:
  front:
    ipam: {config: [{subnet: 10.231.77.0/24}]}
"""


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", "tkeys", *args],
                          cwd=directory, capture_output=True, text=True, timeout=120,
                          env=hullbox.env(), check=False)


def test_service_keys_reach_the_container(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(PROJECT)
    (tmp_path / "app.env").write_text("FROM_FILE=yes\n")

    def inside(*command: str, service: str = "app") -> str:
        result = _compose(hullbox, tmp_path, "exec", service, *command)
        assert result.returncode == 0, result.stderr
        return result.stdout

    try:
        up = _compose(hullbox, tmp_path, "up", "-d")
        assert up.returncode == 0, up.stderr
        assert _compose(hullbox, tmp_path, "logs", "--no-log-prefix", "app").stdout == \
            "from the entrypoint\nfrom the entrypoint\n"  # two replicas
        assert inside("hostname") == "apphost\n"
        assert inside("id", "-u") == "1000\n"
        assert inside("pwd") == "/tmp\n"
        assert "FROM_FILE=yes" in inside("env").splitlines()
        assert _compose(hullbox, tmp_path, "exec", "app", "touch", "/made").returncode != 0
        inside("touch", "/scratch/made")  # the tmpfs is writable
        status = dict(line.split(":\t", 1) for line in inside("cat", "/proc/1/status")
                      .splitlines() if ":\t" in line)
        assert int(status["CapBnd"], 16) == 1 << 10  # only CAP_NET_BIND_SERVICE
        assert status["NoNewPrivs"].strip() == "1"
        assert ["10.0.0.1", "gateway.test"] in [
            line.split() for line in inside("cat", "/etc/hosts").splitlines()]
        assert "nameserver 10.0.0.53" in inside("cat", "/etc/resolv.conf").splitlines()
        assert inside("sh", "-c", "ulimit -n; ulimit -Hn") == "512\n1024\n"
        config = json.loads(hullbox.ok("inspect", "tkeys-app-2"))[0]["HostConfig"]
        assert (config["Memory"], config["PidsLimit"]) == (64 << 20, 50)
        assert config["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
        exposed = json.loads(hullbox.ok("inspect", "-f", "{{json .Config.ExposedPorts}}",
                                        "tkeys-app-1"))
        assert set(exposed) == {"8080/tcp", "9000/udp", "9001/udp"}
        assert hullbox.ok("inspect", "-f", "{{.HostConfig.Init}} {{.Path}}",
                          "tkeys-fixed-1") == "true sleep\n"
        assert inside("cat", "/proc/1/comm", service="fixed").strip() in (
            "docker-init", "tini-static", "catatonit")
        address = inside("ip", "-4", "-o", "addr", "show", "eth0", service="fixed")
        assert "inet 10.231.77.10/24" in address
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")
