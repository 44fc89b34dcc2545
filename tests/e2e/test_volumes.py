"""`hullbox volume` as a user types it: create, ls, inspect, rm, prune."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root


def test_create_inspect_ls_rm(hullbox: Hullbox) -> None:
    assert hullbox.ok("volume", "create", "--label", "team=db", "vdata") == "vdata\n"
    info = json.loads(hullbox.ok("volume", "inspect", "vdata"))[0]
    assert info["Name"] == "vdata"
    assert info["Driver"] == "local"
    assert info["Labels"] == {"team": "db"}
    assert info["Options"] == {}
    assert info["Scope"] == "local"
    assert info["CreatedAt"].endswith("Z")
    mountpoint = Path(info["Mountpoint"])
    assert mountpoint == hullbox.root / "volumes" / "vdata" / "_data"
    assert mountpoint.is_dir()
    listing = hullbox.ok("volume", "ls").splitlines()
    assert listing[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert ["local", "vdata"] in [line.split() for line in listing[1:]]
    assert "vdata" in hullbox.ok("volume", "ls", "-q").split()
    assert hullbox.ok("volume", "ls", "--filter", "label=team=db", "--format",
                      "{{.Name}} {{.Driver}} {{.Labels}}") == "vdata local team=db\n"
    assert hullbox.ok("volume", "ls", "-q", "--filter", "name=vdat") == "vdata\n"
    # creating it again is no error and changes nothing, as in Docker
    assert hullbox.ok("volume", "create", "vdata") == "vdata\n"
    assert hullbox.ok("volume", "rm", "vdata") == "vdata\n"
    assert not mountpoint.parent.exists()
    missing = hullbox("volume", "inspect", "vdata")
    assert missing.returncode != 0 and "no such volume: vdata" in missing.stderr
    assert hullbox("volume", "rm", "-f", "vdata").returncode == 0


def test_data_survives_the_container_and_is_seen_by_the_next(hullbox: Hullbox) -> None:
    hullbox.ok("run", "--rm", "-v", "keep:/var/lib/x", "busybox",
               "sh", "-c", "echo kept > /var/lib/x/file")
    assert hullbox.ok("run", "--rm", "--mount", "type=volume,src=keep,dst=/y", "busybox",
                      "cat", "/y/file") == "kept\n"
    hullbox.ok("volume", "rm", "keep")


def test_rm_refuses_a_volume_in_use_even_by_a_stopped_container(hullbox: Hullbox) -> None:
    hullbox.ok("run", "--name", "vuser", "-v", "busy:/d", "busybox", "true")
    for args in (("volume", "rm", "busy"), ("volume", "rm", "-f", "busy")):
        result = hullbox(*args)
        assert result.returncode == 125
        assert result.stderr.count("\n") == 1
        assert "volume busy is in use by container vuser" in result.stderr
    assert "busy" in hullbox.ok("volume", "ls", "-q", "--filter", "dangling=false").split()
    hullbox.ok("rm", "vuser")
    assert "busy" in hullbox.ok("volume", "ls", "-q", "--filter", "dangling=true").split()
    assert hullbox.ok("volume", "rm", "busy") == "busy\n"


def test_bad_names_and_options(hullbox: Hullbox) -> None:
    cases = [
        (["volume", "create", "bad/name"], "includes invalid characters"),
        (["volume", "create", "--opt", "type=tmpfs", "tmpv"], "needs the option 'device'"),
        (["volume", "create", "--opt", "colour=red", "tmpv"], "invalid volume option"),
        (["volume", "create", "-d", "nfs-plugin", "tmpv"], "volume driver 'nfs-plugin'"),
        (["volume", "ls", "--filter", "colour=red"], "invalid filter"),
    ]
    for args, text in cases:
        result = hullbox(*args)
        assert result.returncode == 125, (args, result.stderr)
        assert result.stderr.startswith("hullbox: ") and text in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1
    assert "tmpv" not in hullbox.ok("volume", "ls", "-q").split()
    assert not (hullbox.root / "volumes" / "tmpv").exists()


def test_prune_takes_unused_anonymous_volumes_unless_all(hullbox: Hullbox) -> None:
    hullbox.ok("volume", "create", "pnamed")
    hullbox.ok("volume", "create", "pheld")
    hullbox.ok("run", "--name", "pholder", "-v", "pheld:/h", "-v", "/anon", "busybox",
               "sh", "-c", "echo x > /anon/f")
    anonymous = json.loads(hullbox.ok("inspect", "-f", "{{json .Mounts}}", "pholder"))
    anon_name = next(m["Name"] for m in anonymous if m["Destination"] == "/anon")
    hullbox.ok("run", "--rm", "-v", "/gone", "busybox", "true")  # --rm takes its own
    loose = hullbox.ok("volume", "create", "--label", "com.docker.volume.anonymous=",
                       "ploose").strip()

    out = hullbox.ok("volume", "prune", "-f")
    # only the loose one: the --rm container's went with it, pholder holds its own
    assert out.splitlines()[:3] == ["Deleted Volumes:", loose, ""]
    assert out.splitlines()[-1].startswith("Total reclaimed space: ")
    names = hullbox.ok("volume", "ls", "-q").split()
    assert {"pnamed", "pheld", anon_name} <= set(names)

    out = hullbox.ok("volume", "prune", "-af")
    names = hullbox.ok("volume", "ls", "-q").split()
    assert "pnamed" in out and "pnamed" not in names
    assert {"pheld", anon_name} <= set(names)  # the container still holds them
    hullbox.ok("rm", "-v", "pholder")  # -v: its anonymous volume goes, the named stays
    names = hullbox.ok("volume", "ls", "-q").split()
    assert anon_name not in names and "pheld" in names
    hullbox.ok("volume", "rm", "pheld")


def test_tmpfs_volume_from_driver_options(hullbox: Hullbox) -> None:
    hullbox.ok("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
               "--opt", "o=size=8m,mode=0750", "ramvol")
    info = json.loads(hullbox.ok("volume", "inspect", "ramvol"))[0]
    assert info["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=8m,mode=0750"}
    line = hullbox.ok("run", "--rm", "-v", "ramvol:/r", "busybox",
                      "sh", "-c", "grep ' /r ' /proc/mounts; stat -c %a /r")
    mount, mode = line.splitlines()
    assert mount.split()[2] == "tmpfs" and "size=8192k" in mount
    assert mode == "750"
    hullbox.ok("volume", "rm", "ramvol")


def test_bind_volume_from_driver_options(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "shared.txt").write_text("from the host\n")
    hullbox.ok("volume", "create", "--opt", "type=none", "--opt", f"device={tmp_path}",
               "--opt", "o=bind", "hostvol")
    assert hullbox.ok("run", "--rm", "-v", "hostvol:/h", "busybox",
                      "sh", "-c", "cat /h/shared.txt; echo back > /h/new.txt") == \
        "from the host\n"
    assert (tmp_path / "new.txt").read_text() == "back\n"
    hullbox.ok("volume", "rm", "hostvol")
    assert (tmp_path / "shared.txt").exists()  # removing the volume leaves the device
