"""--userns auto and --uidmap: the container's root is an unprivileged host id."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root


def _uid_map(text: str) -> tuple[int, int, int]:
    inside, host, size = (int(n) for n in text.split())
    return inside, host, size


def _host_ids_of_users() -> list[tuple[int, int]]:
    """Ranges /etc/subuid gives to users other than hullbox."""
    try:
        lines = Path("/etc/subuid").read_text().splitlines()
    except OSError:
        return []
    return [(int(p[1]), int(p[2])) for p in (line.split(":") for line in lines)
            if len(p) == 3 and p[0] != "hullbox"]


def test_root_inside_is_an_unprivileged_host_range(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "--userns", "auto", "busybox", "sh", "-c",
                     "id; cat /proc/self/uid_map /proc/self/gid_map; ls -ln /etc/passwd")
    lines = out.splitlines()
    assert lines[0].startswith("uid=0(root) gid=0(root)")
    inside, host, size = _uid_map(lines[1])
    assert inside == 0 and host >= 100000 and size == 65536
    assert _uid_map(lines[2])[2] == 65536
    for start, count in _host_ids_of_users():
        assert host + size <= start or start + count <= host  # no user's subordinate ids
    # the image's files look root-owned inside (idmapped or shifted layers)
    assert lines[3].split()[2:4] == ["0", "0"]


def test_files_written_belong_to_the_mapped_host_ids(hullbox: Hullbox) -> None:
    name = "userns-upper"
    out = hullbox.ok("run", "--name", name, "--userns", "auto", "busybox", "sh", "-c",
                     "echo hi > /made-by-root; touch /tmp/for-1000; chown 1000:1001 "
                     "/tmp/for-1000; cat /proc/self/uid_map")
    try:
        host = _uid_map(out.splitlines()[-1])[1]
        cid = hullbox.ok("inspect", "-f", "{{.Id}}", name).strip()
        upper = hullbox.root / "containers" / cid / "upper"
        by_root = os.stat(upper / "made-by-root")
        assert (by_root.st_uid, by_root.st_gid) == (host, host)
        by_1000 = os.stat(upper / "tmp" / "for-1000")
        assert (by_1000.st_uid, by_1000.st_gid) == (host + 1000, host + 1001)
    finally:
        hullbox("rm", "-f", name)


def test_escaped_root_has_no_host_privilege(hullbox: Hullbox, tmp_path: Path) -> None:
    host_dir = tmp_path / "root-owned"
    host_dir.mkdir(mode=0o755)
    (host_dir / "secret").write_text("host\n")
    (host_dir / "secret").chmod(0o600)
    out = hullbox("run", "--rm", "--userns", "auto", "-v", f"{host_dir}:/host",
                  "busybox", "sh", "-c",
                  "touch /host/new; echo $?; cat /host/secret; echo $?; "
                  "chown 0:0 /host; echo $?")
    codes = [line for line in out.stdout.splitlines() if line.isdigit()]
    assert codes == ["1", "1", "1"], out.stdout + out.stderr
    assert "Permission denied" in out.stderr
    assert sorted(os.listdir(host_dir)) == ["secret"]
    # the same without a user namespace: the container's root is the host's
    same = hullbox.ok("run", "--rm", "-v", f"{host_dir}:/host", "busybox", "cat", "/host/secret")
    assert same == "host\n"


def test_running_containers_get_ranges_that_do_not_overlap(hullbox: Hullbox) -> None:
    ids = [hullbox.ok("run", "-d", "--userns", "auto", "busybox", "sleep", "30").strip()
           for _ in range(2)]
    try:
        maps = [_uid_map(hullbox.ok("exec", cid, "cat", "/proc/self/uid_map")) for cid in ids]
        (_, a, size_a), (_, b, size_b) = maps
        assert a + size_a <= b or b + size_b <= a
        # exec joins the container's user namespace: root there too
        assert hullbox.ok("exec", ids[0], "id", "-u").strip() == "0"
    finally:
        hullbox("rm", "-f", *ids)


def test_uidmap_flags(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "--uidmap", "0:300000:2000", "--gidmap", "0:310000:2000",
                     "busybox", "cat", "/proc/self/uid_map", "/proc/self/gid_map")
    assert [_uid_map(line) for line in out.splitlines()] == [(0, 300000, 2000),
                                                            (0, 310000, 2000)]


def test_shifted_copy_when_idmapped_mounts_are_not_used(hullbox: Hullbox) -> None:
    env_run = hullbox.env()
    env_run["HULLBOX_NO_IDMAP"] = "1"
    done = subprocess.run([*hullbox_command(), "run", "--rm", "--uidmap", "0:320000:65536",
                           "busybox", "sh", "-c", "ls -ln /etc/passwd; echo x >> /etc/passwd"],
                          env=env_run, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[2:4] == ["0", "0"]
    copies = list((hullbox.root / "layers-mapped").glob("u0-320000-65536*/*/etc/passwd"))
    assert copies and os.stat(copies[0]).st_uid == 320000


def test_bad_userns_is_one_line(hullbox: Hullbox) -> None:
    before = hullbox.ok("ps", "-aq")
    for args in (("--userns", "keep-id"), ("--uidmap", "0:1"),
                 ("--userns", "auto", "--privileged")):
        result = hullbox("run", "--rm", *args, "busybox", "true")
        assert result.returncode == 125, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("hullbox: ")
    assert hullbox.ok("ps", "-aq") == before


def test_a_new_named_volume_belongs_to_the_containers_root(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "--userns", "auto", "-v", "userns-vol:/data", "busybox",
                     "sh", "-c", "echo hi > /data/by-root && ls -ln /data/by-root; "
                     "cat /proc/self/uid_map")
    try:
        listing, uid_map = out.splitlines()
        assert listing.split()[2:4] == ["0", "0"]  # root's, as seen inside
        host = _uid_map(uid_map)[1]
        data = Path(hullbox.ok("volume", "inspect", "-f", "{{.Mountpoint}}", "userns-vol"
                               ).strip())
        assert (os.stat(data).st_uid, os.stat(data / "by-root").st_uid) == (host, host)
        # in use already: a volume keeps its owner (Podman's rule), so host root's
        # files stay out of reach of another container's mapped root
        hullbox.ok("run", "--rm", "-v", "used-vol:/data", "busybox", "touch", "/data/a")
        denied = hullbox("run", "--rm", "--userns", "auto", "-v", "used-vol:/data", "busybox",
                         "touch", "/data/b")
        assert denied.returncode == 1 and "Permission denied" in denied.stderr
        used = hullbox.ok("volume", "inspect", "-f", "{{.Mountpoint}}", "used-vol").strip()
        assert os.stat(used).st_uid == 0
    finally:
        hullbox("volume", "rm", "userns-vol", "used-vol")
