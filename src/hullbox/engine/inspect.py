"""Docker's ``inspect`` objects for containers."""

from __future__ import annotations

import datetime
from typing import Any

from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import ContainerPaths
from hullbox.engine.security import host_config
from hullbox.engine.settings.lifecycle import LifecycleSettings
from hullbox.store.containers import CREATED, RESTARTING, RUNNING, ContainerRecord
from hullbox.store.store import Store

ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339(timestamp: float) -> str:
    """Docker's time format, or its zero time for 'never'."""
    if not timestamp:
        return ZERO_TIME
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def lifecycle_config(settings: LifecycleSettings) -> dict[str, Any]:
    """Config.StopSignal and Config.StopTimeout, present only when set, as in Docker."""
    fields: dict[str, Any] = {}
    if settings.stop_signal:
        fields["StopSignal"] = settings.stop_signal
    if settings.stop_timeout is not None:
        fields["StopTimeout"] = settings.stop_timeout
    return fields


def exposed_config(store: Store, record: ContainerRecord,
                   options: ContainerOptions) -> dict[str, Any]:
    """Config.ExposedPorts (the image's and --expose), present only when any, as in Docker."""
    from hullbox.engine.settings.behaviour import exposed_ports
    from hullbox.store import images as image_db

    exposed = exposed_ports({}, options.behaviour)
    if image_db.get_image(store, record.image_id) is not None:
        import json

        image_config = json.loads(store.read_blob(record.image_id)).get("config") or {}
        exposed = exposed_ports(image_config.get("ExposedPorts") or {}, options.behaviour)
    return {"ExposedPorts": exposed} if exposed else {}


def container_inspect(store: Store, record: ContainerRecord) -> dict[str, Any]:
    """The fields of ``docker inspect`` that hullbox knows."""
    options = ContainerOptions.from_json(record.config)
    paths = ContainerPaths(store.container_dir(record.id))
    from hullbox.engine.container_mounts import inspect_host_config, inspect_mounts
    from hullbox.engine.logs import log_path
    from hullbox.engine.networks import network_settings
    from hullbox.engine.resource_spec import inspect_fields as resource_fields
    from hullbox.engine.restart import RestartPolicy

    # Docker counts a container waiting out its restart backoff as running.
    running = record.state in (RUNNING, RESTARTING)
    policy = RestartPolicy.parse(record.restart_policy)
    from hullbox.engine.settings.namespaces import inspect_fields as namespace_fields

    namespace_host, namespace_config = namespace_fields(options.namespaces, record.name)
    from hullbox.engine.endpoint_ipam import add_ipam_config

    settings = network_settings(store, record.id, running)
    add_ipam_config(settings["Networks"], options)
    doc = {
        "Id": record.id,
        "Created": rfc3339(record.created),
        "Path": record.command[0] if record.command else "",
        "Args": record.command[1:],
        "State": {
            "Status": record.state,
            "Running": running,
            "Paused": False,
            "Restarting": record.state == RESTARTING,
            "OOMKilled": record.error == "OOMKilled",
            "Dead": False,
            "Pid": record.pid if record.state == RUNNING else 0,
            "ExitCode": record.exit_code,
            "Error": "" if record.error == "OOMKilled" else record.error,
            "StartedAt": rfc3339(record.started),
            "FinishedAt": rfc3339(record.finished if record.state != CREATED else 0),
        },
        "Image": record.image_id,
        "Name": "/" + record.name,
        "RestartCount": record.restart_count,
        "LogPath": str(log_path(paths.base)),
        "Driver": "overlay",
        "Platform": "linux",
        "HostnamePath": str(paths.etc_file("hostname")),
        "HostsPath": str(paths.etc_file("hosts")),
        "ResolvConfPath": str(paths.etc_file("resolv.conf")),
        "Config": {
            "Hostname": options.hostname or record.id[:12],
            "User": options.user or "",
            "Env": options.env or None,
            "Cmd": record.command,
            "Image": record.image_name,
            "WorkingDir": options.workdir or "",
            "Entrypoint": options.entrypoint,
            "Labels": options.labels,
            **exposed_config(store, record, options),
            "Tty": options.tty,
            "OpenStdin": options.interactive,
            "AttachStdin": options.interactive,
            **lifecycle_config(options.lifecycle),
            **namespace_config,
        },
        "HostConfig": {
            "NetworkMode": options.network,
            "AutoRemove": options.auto_remove,
            "ReadonlyRootfs": options.read_only,
            "Memory": options.memory,
            "NanoCpus": options.nano_cpus,
            "PidsLimit": options.pids_limit or None,
            "Runtime": options.runtime,
            "RestartPolicy": {"Name": policy.name, "MaximumRetryCount": policy.max_retries},
            "LogConfig": {"Type": options.lifecycle.log_driver,
                          "Config": dict(options.lifecycle.log_opts)},
            **inspect_host_config(record.config),
            **host_config(options.security),
            **namespace_host,
            **resource_fields(options.resources, options.memory),
            **options.isolation.host_config(),
        },
        "GraphDriver": {
            "Name": "overlay",
            "Data": {
                "MergedDir": str(paths.rootfs),
                "UpperDir": str(paths.upper),
                "WorkDir": str(paths.work),
            },
        },
        "Mounts": inspect_mounts(store, record.config),
        "NetworkSettings": settings,
    }
    from hullbox.engine.runstatus import add_to_inspect

    add_to_inspect(doc, record)
    return doc
