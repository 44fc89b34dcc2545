"""Compose's namespace and identity keys become the engine's NamespaceSettings
(no root): ipc, pid, uts, cgroup, group_add, domainname, annotations and a
network's ipv6_address and link_local_ips."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.compose.options import ProjectOptions, load_project
from hullbox.compose.plan import ServicePlan, plan_service
from hullbox.errors import InvalidArgument


def _plan(tmp_path: Path, text: str, service: str = "web") -> ServicePlan:
    (tmp_path / "compose.yaml").write_text(text)
    project = load_project(ProjectOptions(cwd=str(tmp_path), project_name="p",
                                          environment={}))
    return plan_service(project.name, project.model, service)


def test_namespace_keys_map_to_the_run_flags(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  db: {image: busybox, ipc: shareable}\n"
                 "  web:\n    image: busybox\n    ipc: service:db\n    pid: 'service:db'\n"
                 "    cgroup: host\n    group_add: [users, 1234]\n"
                 "    domainname: example.org\n    annotations: {team: storage}\n")
    settings = plan.options.namespaces
    assert (settings.ipc, settings.pid, settings.cgroupns) == \
        ("container:p-db-1", "container:p-db-1", "host")
    assert settings.group_add == ["users", "1234"]
    assert settings.domainname == "example.org"
    assert settings.annotations == {"team": "storage"}
    assert _plan(tmp_path, "services:\n  web: {image: busybox, uts: host, pid: host}\n"
                 ).options.namespaces.uts == "host"


def test_network_ipv6_and_link_local_addresses_go_to_their_network(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n    networks:\n"
                 "      front: {ipv6_address: 'fd00:5::9', link_local_ips: [169.254.8.8]}\n"
                 "      back: {}\nnetworks:\n  front: {enable_ipv6: true}\n"
                 "  back: {name: shared-back}\n")
    settings = plan.options.namespaces
    assert settings.network_ip6 == {"p_front": "fd00:5::9"}
    assert settings.network_link_local == {"p_front": ["169.254.8.8"]}
    assert settings.endpoint_addresses(0, "shared-back") == {"address6": "", "link_local": ()}
    assert settings.endpoint_addresses(1, "p_front") == \
        {"address6": "fd00:5::9", "link_local": ("169.254.8.8",)}


def test_bad_values_name_the_service(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="^service 'web': invalid --ipc 'sometimes'"):
        _plan(tmp_path, "services:\n  web: {image: busybox, ipc: sometimes}\n")
    with pytest.raises(InvalidArgument, match="not a link-local address"):
        _plan(tmp_path, "services:\n  web:\n    image: busybox\n    networks:\n"
              "      default: {link_local_ips: [10.0.0.1]}\n")
