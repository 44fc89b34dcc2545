"""Running one container in the foreground: mount its rootfs, write its
config.json, hand it to the runtime, record what happened, clean up."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.engine import events
from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import (
    ContainerPaths,
    hosts_file,
    mount_overlay,
    resolv_conf,
    resolve_user,
    unmount_rootfs,
)
from hullbox.engine.settings.podman import write_pidfile
from hullbox.errors import HullboxError
from hullbox.store import containers as container_db
from hullbox.store.containers import EXITED, RUNNING, ContainerRecord
from hullbox.store.store import Store

# runtime_state_root is all that the monitor's exited phase needs from here:
# the bundle's makings (spec, network) are imported where they are used.
if TYPE_CHECKING:
    from hullbox.engine.images import ImageService


def runtime_state_root() -> Path:
    """Where runtimes keep state of live containers: a tmpfs, gone at reboot."""
    from hullbox.engine.rootless import host_uid, is_rootless

    if not is_rootless():
        return Path("/run/hullbox")
    return Path(os.environ.get("XDG_RUNTIME_DIR", f"/tmp/hullbox-{host_uid()}")) / "hullbox"


def prepare_bundle(store: Store, images: ImageService, record: ContainerRecord) -> ContainerPaths:
    """Mount the rootfs and write config.json plus the /etc files; the caller
    unmounts (unmount_rootfs) when the container is done."""
    from hullbox.engine import rootless
    from hullbox.engine.networking import apply_to_spec as apply_network_to_spec
    from hullbox.engine.specgen import build_spec

    rootless.prepare(record.config)
    image = images.get(record.image_id)
    options = ContainerOptions.from_json(record.config)
    paths = ContainerPaths(store.container_dir(record.id))
    lowers = [store.layer_dir(c) for c in reversed(image.layer_chain_ids())]
    unmount_rootfs(paths)  # left mounted by a hullbox that was killed
    from hullbox.engine import userns

    mapping = userns.mapping_for(store, record.id, options.security)
    if mapping is None:
        mount_overlay(paths, lowers, volatile=options.auto_remove)
    else:
        userns.mount_rootfs(store, paths, lowers, mapping, volatile=options.auto_remove)
    try:
        user = resolve_user(paths.rootfs, options.user or image.config.config.user)
        hostname = options.hostname or record.id[:12]
        etc_files = {
            "hostname": (paths.etc_file("hostname"), hostname + "\n"),
            "hosts": (paths.etc_file("hosts"), hosts_file(hostname)),
            "resolv.conf": (
                paths.etc_file("resolv.conf"), resolv_conf(options.network == "host")
            ),
        }
        # Made anew at every start, so a torn write after a crash does no
        # harm: plain writes, no fsync on the path of every `run`.
        for path, content in etc_files.values():
            path.write_text(content)
        spec = build_spec(
            container_id=record.id,
            args=record.command,
            image=image.config.config,
            options=options,
            user=user,
            hostname=hostname,
            etc_files={name: path for name, (path, _) in etc_files.items()},
        )
        apply_network_to_spec(spec, store, options, record.id)
        from hullbox.engine import namespace_spec

        namespace_spec.apply_to_spec(spec, store, options, record, paths.rootfs)
        from hullbox.engine.container_mounts import mount_into_spec

        mount_into_spec(spec, store, record.config, paths.rootfs)
        events.volume_mounts(store, record)
        if mapping is not None:
            userns.apply_to_spec(spec, mapping, [path for path, _ in etc_files.values()])
            userns.give_new_volumes_to_root(store, record.config, mapping)
        paths.config.write_text(json.dumps(spec, indent=2))
    except BaseException:
        unmount_rootfs(paths)
        raise
    return paths


def launch_attached(
    store: Store,
    images: ImageService,
    record: ContainerRecord,
    *,
    stdin: int | None,
    stdout: int,
    stderr: int,
    on_start: Callable[[int], None] | None = None,
) -> int:
    """Run the container to its end with the given stdio; returns the exit code.
    ``on_start(pid)`` runs once its process has exec'd (the monitor reports it)."""
    from hullbox.engine.networking import setup as setup_network

    options = ContainerOptions.from_json(record.config)
    paths = prepare_bundle(store, images, record)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(unmount_rootfs, paths)
        cleanup.callback(setup_network(store, images, record, paths))
        container_db.update(store, record.id, state=RUNNING, started=time.time(),
                            exit_code=0, error="", pid=0)

        def record_pid(pid: int) -> None:
            container_db.update(store, record.id, pid=pid)
            write_pidfile(options.podman, pid)
            events.container(store, record, "start")
            if on_start is not None:
                on_start(pid)

        try:
            if options.isolation.vm:
                from hullbox.engine.microvm import run_attached

                code, oom = run_attached(store, record, paths, stdin=stdin, stdout=stdout,
                                         stderr=stderr, on_start=record_pid), False
            elif options.runtime == "hullbox":
                from hullbox.runtime.run import run_container

                status = run_container(
                    paths.base, record.id, state_root=runtime_state_root() / "runtime",
                    stdin=stdin, stdout=stdout, stderr=stderr, on_start=record_pid,
                )
                code, oom = int(status.exit_code), bool(status.oom_killed)
            else:
                from hullbox.engine.external_runtime import run_external

                code, oom = run_external(options.runtime, paths.base, record.id,
                                         stdin=stdin, stdout=stdout, stderr=stderr), False
        except HullboxError as exc:
            container_db.update(store, record.id, state=EXITED, exit_code=exc.exit_code,
                                error=str(exc), finished=time.time(), pid=0)
            raise
        container_db.update(store, record.id, state=EXITED, exit_code=code,
                            finished=time.time(), pid=0,
                            error="OOMKilled" if oom else "")
        events.container_exited(store, record, code, oom)
        return code
    raise AssertionError("unreachable")  # pragma: no cover
