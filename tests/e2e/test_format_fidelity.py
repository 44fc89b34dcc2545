"""What listings' ``--format json`` and ``inspect -f`` print, next to what
docker prints for the same command."""

from __future__ import annotations

import json
import re

from .conftest import Hullbox, refused
from .netkit import free_subnet

# Go's time.Time.String() of a whole second: "2024-01-02 03:04:05 +0000 UTC"
GO_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} [A-Za-z0-9+-]+$")
GO_TIME_NANOS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? [+-]\d{4} \S+$")


def _json_lines(out: str) -> list[dict[str, object]]:
    lines = out.splitlines()
    for line in lines:
        row = json.loads(line)
        # docker's rows: a map marshalled by encoding/json, compact, keys sorted
        assert line == json.dumps(row, separators=(",", ":"), sort_keys=True,
                                  ensure_ascii=False).replace("<", "\\u003c").replace(
                                      ">", "\\u003e").replace("&", "\\u0026"), line
    return [json.loads(line) for line in lines]


def test_ps_json_rows_are_dockers(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "-d", "--name", name, "--label", "team=db", "busybox",
               "sleep", "600")
    rows = _json_lines(hullbox.ok("ps", "--filter", f"name={name}", "--format", "json"))
    assert len(rows) == 1
    row = rows[0]
    assert GO_TIME.match(str(row["CreatedAt"])), row["CreatedAt"]
    assert row["Command"] == '"sleep 600"'
    assert row["Labels"] == "team=db" and row["Networks"] == "bridge"
    assert (row["Size"], row["LocalVolumes"], row["State"]) == ("0B", "0", "running")
    assert set(row) == {"Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes",
                        "Mounts", "Names", "Networks", "Ports", "RunningFor", "Size",
                        "State", "Status"}
    # {{json .}} is the same object
    again = hullbox.ok("ps", "--filter", f"name={name}", "--format", "{{json .}}")
    assert _json_lines(again)[0]["CreatedAt"] == row["CreatedAt"]
    assert hullbox.ok("ps", "--filter", f"name={name}", "--format",
                      "{{.CreatedAt}}|") == f"{row['CreatedAt']}|\n"


def test_images_network_and_volume_json_rows_are_dockers(hullbox: Hullbox,
                                                         name: str) -> None:
    images = _json_lines(hullbox.ok("images", "--format", "json", "busybox"))
    assert GO_TIME.match(str(images[0]["CreatedAt"])), images[0]
    assert images[0]["Digest"] == "<none>" and images[0]["Containers"] == "N/A"
    # docker history: RFC 3339 to the second
    history = _json_lines(hullbox.ok("history", "--format", "json", "busybox"))
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$",
                    str(history[0]["CreatedAt"])), history[0]
    hullbox.ok("network", "create", "--label", "team=db", name)
    hullbox.ok("volume", "create", "--label", "team=db", name)
    try:
        networks = _json_lines(hullbox.ok("network", "ls", "--filter", f"name={name}",
                                          "--format", "json"))
        assert set(networks[0]) == {"CreatedAt", "Driver", "ID", "IPv6", "Internal",
                                    "Labels", "Name", "Scope"}
        assert GO_TIME_NANOS.match(str(networks[0]["CreatedAt"])), networks[0]
        assert (networks[0]["IPv6"], networks[0]["Internal"], networks[0]["Labels"]) == (
            "false", "false", "team=db")
        volumes = _json_lines(hullbox.ok("volume", "ls", "--filter", f"name={name}",
                                         "--format", "json"))
        assert set(volumes[0]) == {"Availability", "Driver", "Group", "Labels", "Links",
                                   "Mountpoint", "Name", "Scope", "Size", "Status"}
        assert volumes[0]["Labels"] == "team=db"
    finally:
        hullbox("network", "rm", name)
        hullbox("volume", "rm", name)


def test_a_field_docker_lacks_is_an_error_a_missing_map_key_is_not(
        hullbox: Hullbox, name: str) -> None:
    hullbox.ok("create", "--name", name, "busybox", "true")
    line = refused(hullbox, "inspect", "-f", "{{.Nope}}", name, code=1)
    assert line == ('hullbox: template parsing error: template: :1:2: executing "" '
                    'at <.Nope>: map has no entry for key "Nope"')
    line = refused(hullbox, "inspect", "-f", "{{.Config.Nope}}", name, code=1)
    assert "at <.Config.Nope>" in line
    # a map key, and a field of docker's type that is not set: no error
    assert hullbox.ok("inspect", "-f", "{{.Config.Labels.nope}}|{{.State.Status}}",
                      name) == "<no value>|created\n"
    line = refused(hullbox, "ps", "-a", "--filter", f"name={name}", "--format", "{{.Nope}}")
    assert line.endswith("at <.Nope>: can't evaluate field Nope")


def test_inspect_ipam_config_is_what_was_asked(hullbox: Hullbox, name: str) -> None:
    subnet, prefix = free_subnet()
    network = f"{name}-net"
    hullbox.ok("network", "create", "--subnet", subnet, network)
    try:
        hullbox.ok("run", "-d", "--name", f"{name}-plain", "busybox", "sleep", "600")
        hullbox.ok("run", "-d", "--name", f"{name}-fixed", "--network", network, "--ip",
                   prefix + "9", "--link-local-ip", "169.254.1.9", "busybox", "sleep", "600")

        def networks(container: str) -> dict[str, dict[str, object]]:
            return dict(json.loads(hullbox.ok("inspect", "-f",
                                              "{{json .NetworkSettings.Networks}}",
                                              container)))

        assert networks(f"{name}-plain")["bridge"]["IPAMConfig"] is None
        assert networks(f"{name}-fixed")[network]["IPAMConfig"] == {
            "IPv4Address": prefix + "9", "LinkLocalIPs": ["169.254.1.9"]}
        hullbox.ok("network", "connect", "--ip", prefix + "10", network, f"{name}-plain")
        joined = networks(f"{name}-plain")
        assert joined[network]["IPAMConfig"] == {"IPv4Address": prefix + "10"}
        assert joined[network]["IPAddress"] == prefix + "10"
    finally:
        hullbox("rm", "-f", f"{name}-plain", f"{name}-fixed")
        hullbox("network", "rm", network)
