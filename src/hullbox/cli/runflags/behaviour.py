"""Flags of ``run``/``create`` that change how the command behaves rather
than what the container is: -a, --sig-proxy, --detach-keys, -q, --cidfile,
--pull, --platform, --label-file, --expose, --volume-driver,
--disable-content-trust, --use-api-socket.

The image they need is fetched by ``prepare`` (policy and platform) before
the container is made; ``write_cidfile`` runs once it exists."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import click

from hullbox.errors import InvalidArgument, Unsupported

STREAMS = ("stdin", "stdout", "stderr")
PULL_POLICIES = ("always", "missing", "never", "newer")

FLAGS = [
    click.option("-a", "--attach", multiple=True, metavar="STDIN|STDOUT|STDERR",
                 help="Attach only these streams (repeat the flag); the others are not shown."),
    click.option("--sig-proxy/--no-sig-proxy", default=True, show_default=True,
                 help="Pass SIGINT, SIGTERM... sent to hullbox on to the container "
                 "(--sig-proxy=false: they end hullbox and the container goes on running)."),
    click.option("--detach-keys", default=None, metavar="KEYS",
                 help="Keys that detach from a -it container and leave it running "
                 "(default ctrl-p,ctrl-q)."),
    click.option("-q", "--quiet", is_flag=True, help="Print nothing while pulling the image."),
    click.option("--cidfile", metavar="FILE",
                 help="Write the container ID to FILE (which must not exist yet)."),
    click.option("--pull", "pull_policy", default=None, metavar="POLICY",
                 help="Pull the image: always, missing (the default, as docker's), newer "
                 "or never."),
    click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
                 help="Platform of the image (linux/amd64 by default); chooses the entry of "
                 "a multi-platform image when pulling."),
    click.option("--label-file", multiple=True, metavar="FILE",
                 help="Read key=value labels from a file, one per line (-l wins)."),
    click.option("--expose", multiple=True, metavar="PORT[/PROTO][-RANGE]",
                 help="Expose a port or a range of ports (-P publishes them too)."),
    click.option("--volume-driver", default=None, metavar="DRIVER",
                 help="Driver of the container's volumes: hullbox has only local."),
    click.option("--disable-content-trust/--enable-content-trust", default=True,
                 help="Accepted for docker's sake: hullbox does not verify image "
                 "signatures (Docker Content Trust) either way."),
    click.option("--use-api-socket", is_flag=True,
                 help="Refused: hullbox has no API daemon whose socket could be mounted."),
    # podman's
    click.option("--arch", default=None, help="Architecture of the image (podman's; "
                 "the arch of --platform)."),
    click.option("--os", "os_name", default=None, help="OS of the image (podman's)."),
    click.option("--variant", default=None, help="Architecture variant of the image "
                 "(podman's)."),
    click.option("--tls-verify/--no-tls-verify", default=True, show_default=True,
                 help="Pull over HTTPS with verified certificates (podman's; "
                 "--tls-verify=false allows plain HTTP)."),
    click.option("--replace", is_flag=True,
                 help="Remove a container of the same --name first (podman's)."),
    click.option("--rmi", is_flag=True,
                 help="With --rm: remove the image too once no container uses it (podman's)."),
]


def platform_of(params: dict[str, Any]) -> str | None:
    """--platform, or podman's --os/--arch/--variant (which default to linux/amd64)."""
    parts = (params.get("os_name"), params.get("arch"), params.get("variant"))
    if not any(parts):
        return params.get("platform") or None
    if params.get("platform"):
        raise InvalidArgument("--platform conflicts with --os, --arch and --variant; use one")
    text = f"{parts[0] or 'linux'}/{parts[1] or 'amd64'}"
    return f"{text}/{parts[2]}" if parts[2] else text


def _read_label_files(paths: tuple[str, ...]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for path in paths:
        try:
            with open(path) as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            raise InvalidArgument(f"--label-file {path}: {exc.strerror}") from exc
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                labels[key] = value
    return labels


def attached_streams(params: dict[str, Any]) -> set[str]:
    """The streams ``-a`` names (all three when it is not given)."""
    given = [value.lower() for value in params.get("attach") or ()]
    for value in given:
        if value not in STREAMS:
            raise InvalidArgument(f"invalid -a/--attach {value!r}: use STDIN, STDOUT or STDERR")
    return set(given) if given else set(STREAMS)


def check(params: dict[str, Any], *, detach: bool = False) -> None:
    """Refuse what cannot work here, before anything is made."""
    if detach and params.get("attach"):
        raise InvalidArgument("conflicting options: -a/--attach and -d/--detach; use one")
    if params.get("use_api_socket"):
        raise Unsupported("--use-api-socket: hullbox is daemonless and has no API socket to "
                          "mount into the container; bind-mount a socket with -v instead")
    driver = params.get("volume_driver")
    if driver not in (None, "", "local"):
        raise Unsupported(f"--volume-driver {driver}: hullbox has only the local volume "
                          "driver; drop the flag or use --volume-driver local")
    policy = params.get("pull_policy")
    if policy is not None and policy.lower() not in PULL_POLICIES:
        raise InvalidArgument(f"invalid --pull {policy!r}: use always, missing, newer or never")
    platform = platform_of(params)
    if platform:
        from hullbox.registry.platform import parse_platform

        parse_platform(platform)
    if params.get("rmi") and not params.get("auto_remove"):
        raise InvalidArgument("--rmi removes the image after the container: it needs --rm")
    attached_streams(params)
    if params.get("detach_keys"):
        from hullbox.engine.attach import parse_detach_keys

        parse_detach_keys(params["detach_keys"])
    cidfile = params.get("cidfile")
    if cidfile and os.path.lexists(cidfile):
        raise InvalidArgument(f"container ID file found, make sure the other container isn't "
                              f"running or delete {cidfile}")


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.cli.runflags.basic import _parse_labels
    from hullbox.engine.settings.behaviour import BehaviourSettings, parse_expose

    out: dict[str, Any] = {"behaviour": BehaviourSettings(
        expose=parse_expose(params.get("expose") or ()))}
    if params.get("label_file"):
        # files first, then -l: a label given on the command line wins, as in Docker
        out["labels"] = {**_read_label_files(params["label_file"]),
                         **_parse_labels(params.get("label") or ())}
    return out


@contextlib.contextmanager
def cidfile(params: dict[str, Any]) -> Iterator[Callable[[str], None]]:
    """``--cidfile``: the file is made (empty) first, so that a file that
    appeared meanwhile or an unwritable place fails before the container is
    made; the ID goes in once it exists. A failed create removes the file."""
    path = params.get("cidfile")
    if not path:
        yield lambda _id: None
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        raise InvalidArgument(f"container ID file found, make sure the other container "
                              f"isn't running or delete {path}") from None
    except OSError as exc:
        raise InvalidArgument(f"--cidfile {path}: {exc.strerror}") from exc

    def write(container_id: str) -> None:
        os.write(fd, container_id.encode())

    try:
        yield write
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)


def replace_named(obj: Any, params: dict[str, Any]) -> None:
    """podman's --replace: a container already holding --name goes first."""
    name = params.get("name")
    if params.get("replace") and name:
        from hullbox.errors import NotFound

        with contextlib.suppress(NotFound):
            obj.engine.containers.remove(name, force=True)
