"""The model printed as ``docker compose config`` prints it: keys in compose-go's
field order, YAML with indented lists and literal blocks, or JSON with the
fields Go always emits (``command``, ``entrypoint``, ``ipam``)."""

from __future__ import annotations

import json
from typing import Any

import yaml

_SERVICE_ORDER = """name profiles annotations attach build develop blkio_config cap_add cap_drop
cgroup_parent cgroup cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period
cpu_rt_runtime cpus cpuset cpu_shares command configs container_name credential_spec
depends_on deploy device_cgroup_rules devices dns dns_opt dns_search dockerfile domainname
entrypoint provider environment env_file expose extends external_links extra_hosts
group_add gpus hostname healthcheck image init ipc isolation labels label_file links
logging mem_limit mem_reservation memswap_limit mem_swappiness mac_address models net
network_mode networks oom_kill_disable oom_score_adj pid pids_limit platform ports
privileged pull_policy read_only restart runtime scale secrets security_opt shm_size
stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits
use_api_socket user userns_mode uts volume_driver volumes volumes_from working_dir
post_start pre_stop""".split()

_ORDERS: dict[str, list[str]] = {
    "project": "name services networks volumes secrets configs models".split(),
    "service": _SERVICE_ORDER,
    "build": """context dockerfile dockerfile_inline entitlements args ssh labels cache_from
        cache_to no_cache additional_contexts network provenance sbom pull target shm_size
        extra_hosts isolation privileged secrets tags ulimits platforms""".split(),
    "port": "name mode host_ip target published protocol app_protocol".split(),
    "volume_mount": """type source target read_only consistency bind volume tmpfs image
        """.split(),
    "healthcheck": """test timeout interval retries start_period start_interval
        disable""".split(),
    "deploy": """mode replicas labels update_config rollback_config resources
        restart_policy placement endpoint_mode""".split(),
    "update": "parallelism delay failure_action monitor max_failure_ratio order".split(),
    "ipam": "subnet gateway ip_range aux_addresses".split(),
    "resource": """name driver driver_opts ipam external internal attachable
        enable_ipv4 enable_ipv6 file environment content labels""".split(),
    "limits": "cpus memory pids devices generic_resources".split(),
    "placement": "constraints preferences max_replicas_per_node".split(),
    "device": "source target permissions".split(),
    "ulimit": "soft hard".split(),
    "resources": "limits reservations".split(),
    "mount_ref": "source target uid gid mode".split(),
}

_CHILD_KINDS = {
    ("project", "services"): "service_map",
    ("project", "networks"): "resource_map",
    ("project", "volumes"): "resource_map",
    ("project", "secrets"): "resource_map",
    ("project", "configs"): "resource_map",
    ("service", "build"): "build",
    ("service", "ports"): "port_list",
    ("service", "volumes"): "volume_mount_list",
    ("service", "healthcheck"): "healthcheck",
    ("service", "deploy"): "deploy",
    ("service", "secrets"): "mount_ref_list",
    ("service", "configs"): "mount_ref_list",
    ("build", "secrets"): "mount_ref_list",
    ("deploy", "update_config"): "update",
    ("deploy", "resources"): "resources",
    ("deploy", "placement"): "placement",
    ("resources", "limits"): "limits",
    ("resources", "reservations"): "limits",
    ("service", "devices"): "device_list",
    ("service", "ulimits"): "ulimit_map",
    ("deploy", "rollback_config"): "update",
}


def _order_keys(mapping: dict[str, Any], kind: str) -> list[str]:
    order = _ORDERS.get(kind)
    if order is None:
        return sorted(mapping, key=str)
    rank = {key: i for i, key in enumerate(order)}
    return sorted(mapping, key=lambda k: (k.startswith("x-"), rank.get(k, len(order)), k))


def ordered(value: Any, kind: str = "project") -> Any:
    """``value`` with its mappings' keys in compose's printing order."""
    if kind.endswith("_map") and isinstance(value, dict):
        inner = kind[:-4]
        return {k: ordered(value[k], inner) for k in sorted(value)}
    if kind.endswith("_list") and isinstance(value, list):
        return [ordered(item, kind[:-5]) for item in value]
    if isinstance(value, dict):
        if kind == "resource" and "ipam" in value:
            value = {**value, "ipam": {**value["ipam"], "config": [
                ordered(pool, "ipam") for pool in value["ipam"].get("config") or []]}
                if value["ipam"].get("config") else value["ipam"]}
        return {key: ordered(value[key], _CHILD_KINDS.get((kind, key), "")) if key != "ipam"
                else value[key] for key in _order_keys(value, kind)}
    if isinstance(value, list):
        return [ordered(item, "") for item in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as Go's yaml.v3 writes them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    node = dumper.represent_scalar("tag:yaml.org,2002:str", data)
    implicit = dumper.resolve(yaml.ScalarNode, data, (True, False))  # type: ignore[no-untyped-call]
    if implicit != "tag:yaml.org,2002:str" or data in ("y", "n", "Y", "N"):
        node.style = '"'
    return node


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, lambda d, data: d.represent_dict(data.items()))


def to_yaml(model: dict[str, Any]) -> str:
    """The model as YAML."""
    return yaml.dump(ordered(model), Dumper=_Dumper, default_flow_style=False,
                     sort_keys=False, allow_unicode=True, width=10_000)


def _json_shape(model: dict[str, Any]) -> dict[str, Any]:
    """Go's encoding/json view of compose-go's types: extensions only at the
    top level, ``command``/``entrypoint`` always there, ``ipam`` always there."""
    def no_extensions(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: no_extensions(v) for k, v in value.items()
                    if not str(k).startswith("x-")}
        if isinstance(value, list):
            return [no_extensions(v) for v in value]
        return value

    out: dict[str, Any] = {}
    for key, value in model.items():
        if key.startswith("x-"):
            out[key] = value
        elif key == "services":
            out[key] = {name: {**no_extensions(svc),
                               "command": svc.get("command"),
                               "entrypoint": svc.get("entrypoint")}
                        for name, svc in value.items()}
        elif key == "networks":
            out[key] = {name: {**no_extensions(net), "ipam": (net or {}).get("ipam", {})}
                        for name, net in value.items()}
        else:
            out[key] = no_extensions(value)
    return out


def to_json(model: dict[str, Any]) -> str:
    """The model as JSON, as ``docker compose config --format json`` prints it."""
    return json.dumps(ordered(_json_shape(model)), indent=2, ensure_ascii=False)
