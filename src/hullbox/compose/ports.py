"""``ports:`` in short syntax (``[IP:][HOST:]CONTAINER[/PROTOCOL]`` with
ranges) turned into the long syntax, one entry per container port, as
compose-go expands them."""

from __future__ import annotations

import ipaddress
from typing import Any

_PROTOCOLS = ("tcp", "udp", "sctp")


def _port_range(text: str) -> tuple[int, int]:
    """``"80"`` -> (80, 80); ``"8000-8010"`` -> (8000, 8010); ValueError if bad."""
    low, _, high = text.partition("-")
    start, end = int(low), int(high) if high else int(low)
    if not (0 < start <= end <= 65535) and not (start == 0 == end and not high):
        raise ValueError(text)
    return start, end


def _split_host(spec: str) -> tuple[str, str, str]:
    """(host_ip, published, target) of the part before ``/protocol``."""
    if spec.startswith("["):  # [::1]:80:80
        close = spec.find("]")
        if close < 0:
            raise ValueError(spec)
        host_ip, rest = spec[1:close], spec[close + 1:]
        if not rest.startswith(":"):
            raise ValueError(spec)
        published, _, target = rest[1:].rpartition(":")
        ipaddress.ip_address(host_ip)
        return host_ip, published, target
    parts = spec.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        ipaddress.ip_address(parts[0])
        return parts[0], parts[1], parts[2]
    if spec.count(":") > 3:  # a bare IPv6 address: 2001:db8::1:8080:80
        host_ip, published, target = spec.rsplit(":", 2)
        ipaddress.ip_address(host_ip)
        return host_ip, published, target
    raise ValueError(spec)


def parse_port(value: Any) -> list[dict[str, Any]]:
    """The long-syntax entries of one ``ports`` item; ValueError(message)."""
    if isinstance(value, bool):
        raise ValueError(f"invalid port {value!r}")
    if isinstance(value, int):
        if not 0 < value <= 65535:
            raise ValueError(f"invalid port {value}")
        return [{"mode": "ingress", "target": value, "protocol": "tcp"}]
    if isinstance(value, dict):
        return [_long_port(value)]
    text = str(value)
    spec, _, protocol = text.partition("/")
    protocol = protocol or "tcp"
    try:
        if protocol not in _PROTOCOLS:
            raise ValueError(text)
        host_ip, published, target = _split_host(spec)
        first, last = _port_range(target)
        entries: list[dict[str, Any]] = []
        if published:
            pub_first, pub_last = _port_range(published)
            if pub_last - pub_first != last - first and first != last:
                raise ValueError(text)
        for offset, port in enumerate(range(first, last + 1)):
            entry: dict[str, Any] = {"mode": "ingress"}
            if host_ip:
                entry["host_ip"] = host_ip
            entry["target"] = port
            if published:
                if first == last:
                    entry["published"] = published  # a host range for one port
                else:
                    entry["published"] = str(pub_first + offset)
            entry["protocol"] = protocol
            entries.append(entry)
        return entries
    except ValueError:
        raise ValueError(f'invalid port "{text}"') from None


def _long_port(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("name", "mode", "host_ip", "target", "published", "protocol", "app_protocol"):
        if key in value and value[key] is not None:
            out[key] = value[key]
    out.setdefault("mode", "ingress")
    out.setdefault("protocol", "tcp")
    try:
        if "target" in out:
            out["target"] = int(out["target"])
    except ValueError:
        raise ValueError(f"invalid port target {value['target']!r}") from None
    if "published" in out:
        out["published"] = str(out["published"])
    extensions = {k: v for k, v in value.items() if k.startswith("x-")}
    return {**out, **extensions}


def port_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two port entries the same one when files are merged."""
    return (entry.get("host_ip", ""), entry.get("published", ""), entry.get("target"),
            entry.get("protocol", "tcp"), entry.get("mode", "ingress"))
