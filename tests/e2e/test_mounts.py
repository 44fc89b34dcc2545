"""`run -v / --mount / --tmpfs / --volumes-from` and image VOLUMEs, checked
from inside the container, as a user types them."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root


def _mounts_under(root: Path) -> list[str]:
    with open("/proc/self/mountinfo") as info:
        return [line.split()[4] for line in info if line.split()[4].startswith(str(root))]


def _add(tar: tarfile.TarFile, name: str, kind: bytes = tarfile.DIRTYPE, mode: int = 0o755,
         owner: int = 0, data: bytes = b"", link: str = "") -> None:
    entry = tarfile.TarInfo(name)
    entry.type, entry.mode, entry.uid, entry.gid, entry.linkname = kind, mode, owner, owner, link
    entry.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(entry, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


@pytest.fixture(scope="module")
def app_image(hullbox: Hullbox, busybox_tar: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> str:
    """busybox plus /srv/data (owned by www-data, a private subdir of uid 1000,
    a symlink, one pointing out of the rootfs) declared as a VOLUME, and /evil,
    a symlink to a host path."""
    out = tmp_path_factory.mktemp("appimage") / "app.tar"
    shutil.copy(busybox_tar, out)
    with tarfile.open(out, "a") as tar:
        _add(tar, "./srv")
        _add(tar, "./srv/data", mode=0o750, owner=33)
        _add(tar, "./srv/data/conf", tarfile.REGTYPE, 0o640, 33, b"setting=1\n")
        _add(tar, "./srv/data/sub", mode=0o700, owner=1000)
        _add(tar, "./srv/data/sub/deep", tarfile.REGTYPE, 0o600, 1000, b"deep\n")
        _add(tar, "./srv/data/link", tarfile.SYMTYPE, link="conf")
        _add(tar, "./srv/data/out", tarfile.SYMTYPE, link="/etc/passwd")
        _add(tar, "./evil", tarfile.SYMTYPE, link=str(out.parent / "escaped"))
    hullbox.ok("import", "-c", "VOLUME /srv/data", str(out), "app:latest")
    return "app:latest"


def test_read_only_bind_refuses_writes(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("host data\n")
    result = hullbox("run", "--rm", "-v", f"{tmp_path}:/in:ro", "busybox",
                     "sh", "-c", "cat /in/a.txt; echo x > /in/b.txt")
    assert result.returncode == 1
    assert result.stdout == "host data\n"
    assert "Read-only file system" in result.stderr
    assert not (tmp_path / "b.txt").exists()
    rw = hullbox.ok("run", "--rm", "--mount", f"type=bind,src={tmp_path},dst=/rw",
                    "busybox", "sh", "-c", "echo y > /rw/c.txt && echo written")
    assert rw == "written\n" and (tmp_path / "c.txt").read_text() == "y\n"
    ro = hullbox("run", "--rm", "--mount", f"type=bind,src={tmp_path},dst=/ro,readonly",
                 "busybox", "touch", "/ro/d.txt")
    assert ro.returncode == 1 and "Read-only file system" in ro.stderr


def test_v_makes_a_missing_host_directory_and_mount_refuses_it(hullbox: Hullbox,
                                                              tmp_path: Path) -> None:
    made = tmp_path / "made" / "here"
    hullbox.ok("run", "--rm", "-v", f"{made}:/m", "busybox", "touch", "/m/f")
    assert (made / "f").exists()
    result = hullbox("run", "--rm", "--mount", f"type=bind,src={tmp_path}/nope,dst=/x",
                     "busybox", "true")
    assert result.returncode == 125
    assert "bind source path does not exist" in result.stderr
    assert not (tmp_path / "nope").exists()


def test_file_bind_and_mount_points_made_in_the_image(hullbox: Hullbox,
                                                      tmp_path: Path) -> None:
    (tmp_path / "app.conf").write_text("port=80\n")
    out = hullbox.ok("run", "--rm", "-v", f"{tmp_path}/app.conf:/etc/app/app.conf:ro",
                     "-v", "mkpoints:/new/deep/dir", "busybox", "sh", "-c",
                     "cat /etc/app/app.conf; stat -c '%a %n' /etc/app /new /new/deep")
    assert out.splitlines() == ["port=80", "755 /etc/app", "755 /new", "755 /new/deep"]
    hullbox.ok("volume", "rm", "mkpoints")


def test_tmpfs_has_its_size_and_mode(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "--tmpfs", "/run:size=16m,mode=1777", "--mount",
                     "type=tmpfs,dst=/scratch,tmpfs-size=8m", "busybox", "sh", "-c",
                     "grep ' /run ' /proc/mounts; grep ' /scratch ' /proc/mounts; "
                     "stat -c '%a' /run")
    run_line, scratch_line, mode = out.splitlines()
    assert run_line.split()[:3] == ["tmpfs", "/run", "tmpfs"]
    assert "size=16384k" in run_line and "noexec" in run_line
    assert scratch_line.split()[:3] == ["tmpfs", "/scratch", "tmpfs"]
    assert "size=8192k" in scratch_line
    assert mode == "1777"


def test_named_volume_is_filled_from_the_image_once(hullbox: Hullbox, app_image: str) -> None:
    out = hullbox.ok("run", "--rm", "-v", "appdata:/srv/data", app_image, "sh", "-c",
                     "cd /srv/data && stat -c '%a %u %g %n' . conf sub sub/deep && "
                     "readlink link && readlink out && cat link")
    assert out.splitlines() == [
        "750 33 33 .", "640 33 33 conf", "700 1000 1000 sub", "600 1000 1000 sub/deep",
        "conf", "/etc/passwd", "setting=1",
    ]
    # not empty any more: a changed file stays changed, a removed one stays removed
    hullbox.ok("run", "--rm", "-v", "appdata:/srv/data", app_image, "sh", "-c",
               "echo setting=2 > /srv/data/conf; rm /srv/data/link")
    out = hullbox.ok("run", "--rm", "-v", "appdata:/srv/data", app_image, "sh", "-c",
                     "cat /srv/data/conf; ls /srv/data")
    assert out.splitlines() == ["setting=2", "conf", "out", "sub"]
    hullbox.ok("volume", "rm", "appdata")


def test_nocopy_leaves_the_volume_empty(hullbox: Hullbox, app_image: str) -> None:
    assert hullbox.ok("run", "--rm", "-v", "emptyvol:/srv/data:nocopy", app_image,
                      "ls", "-A", "/srv/data") == ""
    hullbox.ok("volume", "rm", "emptyvol")


def test_image_volume_is_an_anonymous_volume(hullbox: Hullbox, app_image: str) -> None:
    hullbox.ok("run", "--name", "imgvol", app_image, "sh", "-c",
               "cat /srv/data/conf; echo mine > /srv/data/new")
    mounts = json.loads(hullbox.ok("inspect", "-f", "{{json .Mounts}}", "imgvol"))
    assert len(mounts) == 1
    volume = mounts[0]
    assert (volume["Type"], volume["Destination"], volume["Driver"], volume["RW"]) == (
        "volume", "/srv/data", "local", True)
    assert len(volume["Name"]) == 64
    labels = json.loads(hullbox.ok("volume", "inspect", "-f", "{{json .Labels}}",
                                   volume["Name"]))
    assert labels == {"com.docker.volume.anonymous": ""}
    assert (Path(volume["Source"]) / "new").read_text() == "mine\n"
    assert (Path(volume["Source"]) / "conf").read_text() == "setting=1\n"
    hullbox.ok("rm", "imgvol")  # without -v the volume stays, as in Docker
    assert volume["Name"] in hullbox.ok("volume", "ls", "-q").split()
    hullbox.ok("volume", "rm", volume["Name"])


def test_rm_v_and_rm_flag_remove_anonymous_volumes_only(hullbox: Hullbox) -> None:
    hullbox.ok("run", "--name", "anonuser", "-v", "/anon", "-v", "kept:/kept", "busybox",
               "true")
    mounts = json.loads(hullbox.ok("inspect", "-f", "{{json .Mounts}}", "anonuser"))
    anon = next(m["Name"] for m in mounts if m["Destination"] == "/anon")
    hullbox.ok("rm", "-v", "anonuser")
    names = hullbox.ok("volume", "ls", "-q").split()
    assert anon not in names and "kept" in names
    before = set(hullbox.ok("volume", "ls", "-q").split())
    hullbox.ok("run", "--rm", "-v", "/scratch", "busybox", "touch", "/scratch/f")
    assert set(hullbox.ok("volume", "ls", "-q").split()) == before
    hullbox.ok("volume", "rm", "kept")


def test_volumes_from_shares_volumes_and_binds(hullbox: Hullbox, tmp_path: Path) -> None:
    hullbox.ok("run", "--name", "donor", "-v", "/anon", "-v", "shared:/shared",
               "-v", f"{tmp_path}:/hostdir", "--tmpfs", "/private", "busybox", "sh", "-c",
               "echo a > /anon/f; echo s > /shared/f; echo h > /hostdir/f")
    out = hullbox.ok("run", "--rm", "--volumes-from", "donor", "busybox", "sh", "-c",
                     "cat /anon/f /shared/f /hostdir/f; echo more >> /shared/f; "
                     "grep -c ' /private ' /proc/mounts || true")
    assert out.splitlines() == ["a", "s", "h", "0"]
    result = hullbox("run", "--rm", "--volumes-from", "donor:ro", "busybox", "sh", "-c",
                     "cat /shared/f; touch /shared/g")
    assert result.stdout == "s\nmore\n"
    assert "Read-only file system" in result.stderr and result.returncode == 1
    # the anonymous volume belongs to donor: removing a borrower leaves it
    mounts = json.loads(hullbox.ok("inspect", "-f", "{{json .Mounts}}", "donor"))
    anon = next(m["Name"] for m in mounts if m["Destination"] == "/anon")
    assert anon in hullbox.ok("volume", "ls", "-q").split()
    hullbox.ok("rm", "-v", "donor")
    assert anon not in hullbox.ok("volume", "ls", "-q").split()
    hullbox.ok("volume", "rm", "shared")


def test_inspect_shows_mounts_like_docker(hullbox: Hullbox, tmp_path: Path) -> None:
    hullbox.ok("create", "--name", "shown", "-v", "insp:/data", "-v", f"{tmp_path}:/in:ro",
               "--mount", "type=tmpfs,dst=/t", "--tmpfs", "/run:size=1m", "busybox", "true")
    info = json.loads(hullbox.ok("inspect", "shown"))[0]
    by_dest = {m["Destination"]: m for m in info["Mounts"]}
    assert set(by_dest) == {"/data", "/in", "/t"}
    assert by_dest["/data"] == {
        "Type": "volume", "Name": "insp",
        "Source": str(hullbox.root / "volumes" / "insp" / "_data"),
        "Destination": "/data", "Driver": "local", "Mode": "z", "RW": True,
        "Propagation": "",
    }
    assert by_dest["/in"] == {"Type": "bind", "Source": str(tmp_path), "Destination": "/in",
                              "Mode": "ro", "RW": False, "Propagation": "rprivate"}
    assert by_dest["/t"]["Type"] == "tmpfs" and by_dest["/t"]["RW"] is True
    assert info["HostConfig"]["Binds"] == ["insp:/data", f"{tmp_path}:/in:ro"]
    assert info["HostConfig"]["Tmpfs"] == {"/run": "size=1m"}
    hullbox.ok("rm", "shown")
    hullbox.ok("volume", "rm", "insp")


def test_mount_points_never_escape_the_rootfs(hullbox: Hullbox, app_image: str) -> None:
    # /evil in the image is a symlink to a host path; mounting under it must
    # resolve it inside the container's root, as runc's securejoin does.
    escape = _escape_target(hullbox, app_image)
    out = hullbox.ok("run", "--rm", "-v", "esc:/evil/x", "--tmpfs", "/evil/t", app_image,
                     "sh", "-c", f"grep -c ' {escape}/[xt] ' /proc/mounts")
    assert out == "2\n"  # both mounted where the link points inside the container
    assert not escape.exists()
    hullbox.ok("volume", "rm", "esc")


def _escape_target(hullbox: Hullbox, image: str) -> Path:
    link = hullbox.ok("run", "--rm", image, "readlink", "/evil").strip()
    assert link.endswith("/escaped")
    return Path(link)


def test_bad_mounts_leave_nothing(hullbox: Hullbox) -> None:
    volumes_before = set(hullbox.ok("volume", "ls", "-q").split())
    cases = [
        (["-v", "data:relative"], "must be absolute"),
        (["--mount", "type=volume,src=fresh1,dst=/x,colour=red"], "unexpected key 'colour'"),
        (["--mount", "type=volume,src=fresh1"], "target is required"),
        (["--mount", "type=bind,src=/nonexistent-hullbox,dst=/x"],
         "bind source path does not exist"),
        (["-v", "bad!name:/x"], "invalid characters for a local volume name"),
        (["-v", "fresh2:/x", "-v", "/anon", "--volumes-from", "nosuchcontainer"],
         "no such container"),
        (["-v", "fresh3:/x", "--name", "clash", "-v", "/y"], "is already in use"),
    ]
    hullbox.ok("create", "--name", "clash", "busybox", "true")
    for args, text in cases:
        result = hullbox("run", "--rm", *args, "busybox", "true")
        assert result.returncode == 125, (args, result.stderr)
        assert result.stderr.startswith("hullbox: ") and text in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
    hullbox.ok("rm", "clash")
    assert set(hullbox.ok("volume", "ls", "-q").split()) == volumes_before
    assert hullbox.ok("ps", "-aq") == ""
    assert _mounts_under(hullbox.root) == []


def test_nothing_stays_mounted_after_rm_f_of_many(hullbox: Hullbox, tmp_path: Path) -> None:
    ids = [
        hullbox.ok("run", "-d", "-v", "many:/data", "-v", "/anon", "-v", f"{tmp_path}:/h",
                   "--tmpfs", "/run", "busybox", "sleep", "60").strip()
        for _ in range(10)
    ]
    assert len(_mounts_under(hullbox.root)) >= 10  # each rootfs while they run
    hullbox.ok("rm", "-f", "-v", *ids)
    assert _mounts_under(hullbox.root) == []
    assert _mounts_under(tmp_path) == []
    assert hullbox.ok("volume", "ls", "-q", "--filter", "label=com.docker.volume.anonymous"
                      ) == ""
    hullbox.ok("volume", "rm", "many")


def test_parallel_runs_fill_a_fresh_volume_once(hullbox: Hullbox, app_image: str) -> None:
    command = [*hullbox_command(), "run", "--rm", "-v", "racevol:/srv/data", app_image,
               "sh", "-c", "cat /srv/data/conf; ls /srv/data | wc -l"]
    runs = [subprocess.Popen(command, env=hullbox.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(4)]
    results = [(r.wait(timeout=120), *r.communicate()) for r in runs]
    for code, out, err in results:
        assert (code, out.decode().split()) == (0, ["setting=1", "4"]), err
    hullbox.ok("volume", "rm", "racevol")


def test_rslave_bind_sees_mounts_the_host_makes_later(hullbox: Hullbox, tmp_path: Path
                                                      ) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    refused = hullbox("run", "--rm", "--mount",
                      f"type=bind,src={source},dst=/p,bind-propagation=rslave", "busybox",
                      "true")
    if refused.returncode == 0:
        pytest.skip(f"{source} is already on a shared mount: the refusal cannot be shown")
    assert refused.returncode == 125
    assert "which is not a shared or slave mount" in refused.stderr
    # make the source a shared mount of its own, as a user would
    subprocess.run(["mount", "--bind", str(source), str(source)], check=True)
    try:
        subprocess.run(["mount", "--make-shared", str(source)], check=True)
        _see_host_mount(hullbox, source)
    finally:
        subprocess.run(["umount", "-l", str(source)], check=True)
    assert _mounts_under(hullbox.root) == []


def _see_host_mount(hullbox: Hullbox, source: Path) -> None:
    # each container says "up" once it polls, so the host mounts only after both
    # have their mount namespaces (a fixed sleep lost that race on a loaded host)
    script = ("echo up; for i in $(seq 100); do grep -q ' /p/sub tmpfs ' /proc/mounts && "
              "echo seen && exit 0; sleep 0.1; done; echo not seen")
    private = subprocess.Popen(
        [*hullbox_command(), "run", "--rm", "-v", f"{source}:/p", "busybox",
         "sh", "-c", script.replace("100", "30")],
        env=hullbox.env(), stdout=subprocess.PIPE)
    slave = subprocess.Popen(
        [*hullbox_command(), "run", "--rm", "--mount",
         f"type=bind,src={source},dst=/p,bind-propagation=rslave", "busybox",
         "sh", "-c", script],
        env=hullbox.env(), stdout=subprocess.PIPE)
    assert private.stdout is not None and slave.stdout is not None
    assert private.stdout.readline() == b"up\n"
    assert slave.stdout.readline() == b"up\n"
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(source / "sub")], check=True)
    try:
        assert slave.communicate(timeout=60)[0] == b"seen\n"
        assert private.communicate(timeout=60)[0] == b"not seen\n"  # rprivate, the default
    finally:
        subprocess.run(["umount", str(source / "sub")], check=True)
