"""A build's RUN step through hullbox's own runtime: the op becomes a bundle
(config.json beside the step's mounted rootfs), run to its end with its
output streamed line by line."""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable
from typing import Any

from hullbox.build.runops import RunOp
from hullbox.build.workspace import Workspace
from hullbox.engine.build_step_settings import StepSettings
from hullbox.engine.launch import runtime_state_root
from hullbox.engine.rootfs import hosts_file, resolv_conf, resolve_user
from hullbox.engine.specgen import merge_env
from hullbox.errors import CommandNotFound, CommandNotInvokable
from hullbox.oci.runtime_spec import default_spec

HOSTNAME = "buildkitsandbox"  # what BuildKit's RUN steps see


def run_step(op: RunOp, space: Workspace, extra_mounts: list[dict[str, Any]],
             output: Callable[[str], None], *, settings: StepSettings | None = None) -> int:
    """Run ``op`` in ``space`` (mounted); returns its exit code. ``settings``:
    the build's flags for its RUN containers (--memory, --add-host...)."""
    container_id = "build-" + secrets.token_hex(8)
    spec = _spec(op, space, container_id, extra_mounts, settings or StepSettings())
    (space.base / "config.json").write_text(json.dumps(spec))
    from hullbox.runtime.run import run_container

    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    reader = threading.Thread(target=_pump, args=(read_end, output), daemon=True)
    reader.start()
    try:
        status = run_container(space.base, container_id,
                               state_root=runtime_state_root() / "runtime",
                               stdin=None, stdout=write_end, stderr=write_end)
        code = int(status.exit_code)
    except CommandNotFound as exc:
        output(str(exc))
        code = exc.exit_code
    except CommandNotInvokable as exc:
        output(str(exc))
        code = exc.exit_code
    finally:
        os.close(write_end)
        reader.join()
    return code


def _pump(fd: int, output: Callable[[str], None]) -> None:
    with os.fdopen(fd, "rb") as stream:
        for raw in stream:
            output(raw.rstrip(b"\n").decode(errors="replace"))


def _spec(op: RunOp, space: Workspace, container_id: str,
          extra_mounts: list[dict[str, Any]], settings: StepSettings) -> dict[str, Any]:
    user = resolve_user(space.rootfs, op.user)
    host_network = op.network == "host"
    etc = {
        "hosts": hosts_file(HOSTNAME) + settings.hosts_lines(),
        "hostname": HOSTNAME + "\n",
        "resolv.conf": resolv_conf(host_network),
    }
    spec = default_spec(op.args, hostname=HOSTNAME, root_path="rootfs")
    process = spec["process"]
    process["env"] = merge_env(op.env, [], user.home)
    process["cwd"] = op.cwd
    process["user"] = {"uid": user.uid, "gid": user.gid}
    if user.additional_gids:
        process["user"]["additionalGids"] = list(user.additional_gids)
    linux = spec["linux"]
    if host_network:
        linux["namespaces"] = [ns for ns in linux["namespaces"] if ns["type"] != "network"]
    for name, content in etc.items():
        path = space.base / f"etc-{name}"
        path.write_text(content)
        spec["mounts"].append({"destination": f"/etc/{name}", "type": "bind",
                               "source": str(path), "options": ["rbind", "rprivate"]})
    spec["mounts"].extend(extra_mounts)
    linux["cgroupsPath"] = f"/hullbox/{container_id}"
    settings.apply(spec, container_id)
    return spec
