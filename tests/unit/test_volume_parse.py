"""Parsing -v, --mount, --tmpfs and --volumes-from as Docker reads them."""

from __future__ import annotations

import pytest

from hullbox.engine.settings.storage import StorageSettings
from hullbox.errors import InvalidArgument
from hullbox.volume.local import validate_options
from hullbox.volume.mountflag import parse_mount_flag
from hullbox.volume.mountpoint import MountPoint
from hullbox.volume.names import validate_volume_name
from hullbox.volume.parse import (
    parse_tmpfs_flag,
    parse_volume_flag,
    parse_volumes_from,
)


def test_v_named_volume_host_path_and_anonymous() -> None:
    named = parse_volume_flag("data:/var/lib/x")
    assert (named.type, named.source, named.destination, named.read_only) == (
        "volume", "data", "/var/lib/x", False)
    bind = parse_volume_flag("/host/dir/:/in:ro")
    assert (bind.type, bind.source, bind.destination, bind.read_only, bind.mode) == (
        "bind", "/host/dir", "/in", True, "ro")
    assert bind.create_host_path  # -v makes a missing host dir, as Docker does
    anonymous = parse_volume_flag("/in")
    assert (anonymous.type, anonymous.source, anonymous.destination) == ("volume", "", "/in")


def test_v_modes() -> None:
    assert parse_volume_flag("data:/x:nocopy").nocopy
    assert parse_volume_flag("/h:/x:ro,rshared").propagation == "rshared"
    assert parse_volume_flag("data:/x/../y:rw,z").destination == "/y"


def test_v_relative_host_path_is_made_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/tmp")
    point = parse_volume_flag("./here:/x")
    assert (point.type, point.source) == ("bind", "/tmp/here")


@pytest.mark.parametrize(("raw", "message"), [
    ("data:rel", "mount path 'rel' must be absolute"),
    ("rel", "mount path 'rel' must be absolute"),
    ("/in:ro", "use SOURCE:DEST[:MODE] or DEST"),
    ("a:b:c:d", "too many ':'"),
    ("data:/x:bogus", "invalid mode 'bogus'"),
    ("data:/x:ro,rw", "sets the rw twice"),
    ("data:/", "the destination can't be '/'"),
    ("bad!name:/x", "includes invalid characters for a local volume name"),
    ("data:/x:rshared", "propagation mode (rshared) applies only to host directories"),
    ("/h:/x:nocopy", "nocopy applies only to volumes"),
])
def test_v_errors(raw: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match="") as caught:
        parse_volume_flag(raw)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_mount_volume_bind_tmpfs() -> None:
    volume = parse_mount_flag("type=volume,src=data,dst=/x,readonly,volume-nocopy")
    assert (volume.type, volume.source, volume.destination, volume.read_only,
            volume.nocopy) == ("volume", "data", "/x", True, True)
    default_type = parse_mount_flag("source=data,target=/x,ro=false,volume-label=a=b")
    assert (default_type.type, default_type.read_only) == ("volume", False)
    assert default_type.volume_labels == {"a": "b"}
    bind = parse_mount_flag("type=bind,src=/h,dst=/in,bind-propagation=rslave")
    assert (bind.type, bind.source, bind.propagation, bind.create_host_path) == (
        "bind", "/h", "rslave", False)
    tmpfs = parse_mount_flag("type=tmpfs,destination=/t,tmpfs-size=16m,tmpfs-mode=1770")
    assert tmpfs.tmpfs_options == [f"size={16 << 20}", "mode=1770"]


@pytest.mark.parametrize(("raw", "message"), [
    ("type=volume,foo=bar,dst=/x", "unexpected key 'foo'"),
    ("type=volume,src=data", "target is required"),
    ("type=bind,dst=/x", "a bind mount needs src="),
    ("type=bind,src=rel,dst=/x", "must be an absolute path"),
    ("type=nfs,dst=/x", "mount type 'nfs' is unknown"),
    ("type=tmpfs,src=x,dst=/t", "a tmpfs mount takes no source"),
    ("type=tmpfs,dst=/t,tmpfs-size=lots", "invalid size 'lots'"),
    ("type=volume,dst=/x,bind-propagation=shared", "cannot mix 'bind-propagation'"),
    ("type=bind,src=/h,dst=/x,bind-propagation=sideways", "invalid propagation mode"),
    ("type=volume,dst=/x,readonly=maybe", "invalid value for readonly"),
    ("type=volume,dst=x", "must be absolute"),
    ("type=volume,dst=/x,justaword", "must be a key=value pair"),
])
def test_mount_errors(raw: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_mount_flag(raw)
    assert message in str(caught.value)


def test_tmpfs_flag() -> None:
    point = parse_tmpfs_flag("/run:size=16m,mode=1777")
    assert (point.type, point.destination, point.tmpfs_options) == (
        "tmpfs", "/run", ["size=16m", "mode=1777"])
    with pytest.raises(InvalidArgument, match="invalid mode '99'"):
        parse_tmpfs_flag("/run:mode=99")
    with pytest.raises(InvalidArgument, match="must be absolute"):
        parse_tmpfs_flag("run")


def test_volumes_from() -> None:
    assert parse_volumes_from("web") == ("web", "")
    assert parse_volumes_from("web:ro") == ("web", "ro")
    with pytest.raises(InvalidArgument, match="invalid mode 'rx'"):
        parse_volumes_from("web:rx")


def test_duplicate_mount_point_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="duplicate mount point: /x"):
        StorageSettings.parse(volumes=["a1:/x"], tmpfs=["/x"])


def test_settings_round_trip_through_json() -> None:
    settings = StorageSettings.parse(volumes=["data:/x:ro"], tmpfs=["/run:size=1m"],
                                     volumes_from=["web:ro"])
    again = StorageSettings.from_json(settings.to_json())
    assert again == settings
    assert again.tmpfs == {"/run": "size=1m"}
    assert [p.destination for p in again.requested_points()] == ["/x", "/run"]
    assert isinstance(again.requested_points()[0], MountPoint)


def test_volume_names() -> None:
    assert validate_volume_name("my_data.v-1") == "my_data.v-1"
    for bad in ("a", "-x", "a/b", "a b", ".hidden"):
        with pytest.raises(InvalidArgument):
            validate_volume_name(bad)


def test_local_driver_options() -> None:
    validate_options({})
    validate_options({"type": "tmpfs", "device": "tmpfs", "o": "size=16m"})
    with pytest.raises(InvalidArgument, match="invalid volume option 'bogus'"):
        validate_options({"bogus": "1"})
    with pytest.raises(InvalidArgument, match="'type' needs the option 'device'"):
        validate_options({"type": "tmpfs"})
    with pytest.raises(InvalidArgument, match="quota"):
        validate_options({"size": "1g"})
