"""How compose attributes become the engine's container options (no root):
each one through the same parse as ``run``'s flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.compose.options import ProjectOptions, load_project
from hullbox.compose.plan import ServicePlan, plan_service
from hullbox.errors import InvalidArgument, Unsupported


def _plan(tmp_path: Path, text: str, service: str = "web") -> ServicePlan:
    (tmp_path / "compose.yaml").write_text(text)
    project = load_project(ProjectOptions(cwd=str(tmp_path), project_name="p",
                                          environment={}))
    return plan_service(project.name, project.model, service)


def test_ports_become_publish_values(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n"
                 "    ports: ['127.0.0.1:8080:80', '9000-9001:9000-9001/udp', 53]\n")
    assert plan.options.networking.ports == ["127.0.0.1:8080:80/tcp", "9000:9000/udp",
                                             "9001:9001/udp", "53/tcp"]


def test_a_published_range_for_one_port_is_passed_on(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web: {image: busybox, ports: ['8000-8010:80']}\n")
    assert plan.options.networking.ports == ["8000-8010:80/tcp"]


def test_networks_join_the_first_and_connect_the_rest_with_the_service_name(
        tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n    networks:\n"
                 "      front: {aliases: [www], ipv4_address: 10.5.0.9}\n      back: {}\n"
                 "networks:\n  front: {}\n  back: {name: shared-back}\n")
    assert plan.options.network == "shared-back"  # by name: back before front
    assert plan.options.networking.aliases == ["web"]
    assert plan.options.networking.connected == {
        "p_front": {"aliases": ["web", "www"], "ip": "10.5.0.9"}}


def test_the_default_network_is_the_projects(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web: {image: busybox}\n")
    assert (plan.options.network, plan.options.networking.aliases) == ("p_default", ["web"])


def test_network_mode_service_shares_its_first_container(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  db: {image: busybox}\n"
                 "  web: {image: busybox, network_mode: 'service:db'}\n")
    assert plan.options.network == "container:p-db-1"


def test_volumes_binds_and_tmpfs(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n    volumes:\n"
                 "      - data:/data:ro\n      - ./conf:/etc/conf\n      - /cache\n"
                 "      - {type: tmpfs, target: /scratch, tmpfs: {size: 1m, mode: 0o1777}}\n"
                 "    tmpfs: /run\nvolumes:\n  data: {}\n")
    storage = plan.options.storage
    assert storage.binds == [f"{tmp_path}/conf:/etc/conf"]
    assert storage.mounts == ["type=volume,source=p_data,target=/data,readonly",
                              "type=volume,target=/cache",
                              "type=tmpfs,target=/scratch,tmpfs-size=1048576,tmpfs-mode=1777"]
    assert storage.tmpfs == {"/run": ""}


def test_healthcheck_durations_and_disable(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n    healthcheck:\n"
                 "      test: wget -q localhost\n      interval: 1m30s\n      timeout: 500ms\n"
                 "      retries: 4\n      start_period: 2s\n")
    health = plan.options.health
    assert health.test == ["CMD-SHELL", "wget -q localhost"]
    assert (health.interval, health.timeout, health.start_period, health.retries) == (
        90_000_000_000, 500_000_000, 2_000_000_000, 4)
    off = _plan(tmp_path, "services:\n  web: {image: busybox, healthcheck: {disable: true}}\n")
    assert off.options.health.test == ["NONE"]


def test_restart_stop_and_logging(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n    restart: on-failure:3\n"
                 "    stop_signal: SIGINT\n    stop_grace_period: 1500ms\n"
                 "    logging: {driver: local, options: {max-size: 1m}}\n")
    lifecycle = plan.options.lifecycle
    assert (lifecycle.restart, lifecycle.stop_signal, lifecycle.stop_timeout) == (
        "on-failure:3", "SIGINT", 2)
    assert (lifecycle.log_driver, lifecycle.log_opts) == ("local", {"max-size": "1m"})


def test_security_keys(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n    cap_add: [NET_ADMIN]\n"
                 "    cap_drop: [all]\n    security_opt: [no-new-privileges]\n"
                 "    sysctls: {net.ipv4.ip_forward: 1}\n"
                 "    ulimits: {nofile: {soft: 100, hard: 200}, core: 0}\n"
                 "    devices: ['/dev/null:/dev/mynull:r']\n")
    security = plan.options.security
    assert (security.cap_add, security.cap_drop) == (["CAP_NET_ADMIN"], ["ALL"])
    assert security.no_new_privileges
    assert security.sysctls == {"net.ipv4.ip_forward": "1"}
    assert security.ulimits == [{"name": "nofile", "soft": 100, "hard": 200},
                                {"name": "core", "soft": 0, "hard": 0}]
    assert security.devices == [{"host": "/dev/null", "container": "/dev/mynull",
                                 "permissions": "r"}]


def test_a_bad_value_names_the_service(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="^service 'web': --cap-add SYS_NOPE: unknown "
                       "capability"):
        _plan(tmp_path, "services:\n  web: {image: busybox, cap_add: [SYS_NOPE]}\n")


def test_what_the_engine_lacks_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(Unsupported) as caught:
        _plan(tmp_path, "services:\n  web:\n    image: busybox\n    use_api_socket: true\n"
              "    credential_spec: {file: x.json}\n")
    assert str(caught.value) == (
        "service 'web' uses what hullbox cannot do yet: use_api_socket (the Docker API "
        "socket), credential_spec (credential specs)")


def test_shm_size_and_cpu_quota_become_the_engines_settings(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web: {image: busybox, shm_size: 16m, "
                 "cpu_quota: 150000}\n")
    assert plan.options.storage.tmpfs["/dev/shm"] == "size=16777216,mode=1777"
    assert plan.options.nano_cpus == 1_500_000_000
    with pytest.raises(InvalidArgument, match="cpus and cpu_quota cannot both be set"):
        _plan(tmp_path, "services:\n  web: {image: busybox, cpus: 1, cpu_quota: 50000}\n")


def test_file_secrets_and_configs_are_read_only_binds(tmp_path: Path) -> None:
    (tmp_path / "token.txt").write_text("s3cret\n")
    (tmp_path / "app.conf").write_text("x=1\n")
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n"
                 "    secrets: [token, {source: token, target: other}]\n"
                 "    configs: [{source: conf, target: /etc/app.conf}, conf]\n"
                 "secrets:\n  token: {file: ./token.txt}\n"
                 "configs:\n  conf: {file: ./app.conf}\n")
    assert plan.options.storage.binds == [
        f"{tmp_path}/token.txt:/run/secrets/token:ro",
        f"{tmp_path}/token.txt:/run/secrets/other:ro",
        f"{tmp_path}/app.conf:/etc/app.conf:ro", f"{tmp_path}/app.conf:/conf:ro"]


def test_secrets_from_the_environment_are_refused(tmp_path: Path) -> None:
    with pytest.raises(Unsupported, match="^secrets 'token': only file-based secrets are "
                       "supported, not environment; give it a file:$"):
        _plan(tmp_path, "services:\n  web: {image: busybox, secrets: [token]}\n"
              "secrets:\n  token: {environment: TOKEN}\n")


def test_a_link_alias_belongs_to_the_linking_service_only(tmp_path: Path) -> None:
    plain = "services:\n  db: {image: busybox}\n  web: {image: busybox}\n"
    linked = ("services:\n  db: {image: busybox}\n"
              "  web: {image: busybox, links: ['db:database', db]}\n")
    web = _plan(tmp_path, linked, "web")
    assert web.options.networking.links == ["db:database"]
    assert web.config_hash != _plan(tmp_path, plain, "web").config_hash
    db = _plan(tmp_path, linked, "db")
    assert db.options.networking.aliases == ["db"]
    assert db.options.networking.links == []
    assert db.config_hash == _plan(tmp_path, plain, "db").config_hash  # db is left alone


def test_runtime_and_isolation_become_the_engines_choice(tmp_path: Path) -> None:
    import shutil

    vm = _plan(tmp_path, "services:\n  web: {image: busybox, isolation: vm}\n")
    assert vm.options.isolation.kind == "vm"
    assert _plan(tmp_path, "services:\n  web: {image: busybox, isolation: default}\n"
                 ).options.isolation.kind == "process"
    with pytest.raises(InvalidArgument, match="^service 'web': runtime 'nope' is unknown"):
        _plan(tmp_path, "services:\n  web: {image: busybox, runtime: nope}\n")
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed (apt-get install runc)")
    assert _plan(tmp_path, "services:\n  web: {image: busybox, runtime: runc}\n"
                 ).options.runtime == "runc"
    with pytest.raises(InvalidArgument, match="^service 'web': --runtime runc and "
                       "--isolation vm exclude each other"):
        _plan(tmp_path, "services:\n  web: {image: busybox, runtime: runc, isolation: vm}\n")


def test_hooks_are_planned_with_their_commands_split(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n"
                 "    post_start: [{command: echo 'two words', user: nobody}]\n"
                 "    pre_stop: [{command: [sh, -c, 'exit 0'], environment: [A=1]}]\n")
    hooks = _hooks(tmp_path)
    assert plan.name == "web"
    assert hooks["post_start"] == [{"command": ["echo", "two words"], "user": "nobody"}]
    assert hooks["pre_stop"] == [{"command": ["sh", "-c", "exit 0"], "environment": {"A": "1"}}]


def _hooks(tmp_path: Path) -> dict[str, object]:
    project = load_project(ProjectOptions(cwd=str(tmp_path), project_name="p",
                                          environment={}))
    web = project.services["web"]
    return {key: web[key] for key in ("post_start", "pre_stop")}
