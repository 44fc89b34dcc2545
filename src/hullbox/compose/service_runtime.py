"""A service's security keys, ``healthcheck``, ``restart``, stop and logging
settings as the engine's settings groups, each through the same parse as
``run``'s flags, so a bad value gets the same one-line error."""

from __future__ import annotations

import math
from typing import Any

from hullbox.compose.units import parse_duration
from hullbox.engine.settings.health import MIN_DURATION, HealthSettings
from hullbox.engine.settings.lifecycle import LifecycleSettings
from hullbox.engine.settings.security import SecuritySettings
from hullbox.errors import InvalidArgument


def _pairs(value: Any) -> list[str]:
    """``{a: 1}`` or ``["a=1"]`` -> ``["a=1"]``."""
    if isinstance(value, dict):
        return [f"{k}={'' if v is None else v}" for k, v in value.items()]
    return [str(v) for v in value or []]


def _ulimits(value: dict[str, Any]) -> list[str]:
    out = []
    for name, limit in (value or {}).items():
        if isinstance(limit, dict):
            out.append(f"{name}={limit.get('soft')}:{limit.get('hard')}")
        else:
            out.append(f"{name}={limit}:{limit}")
    return out


def _device(value: Any) -> str:
    if isinstance(value, dict):
        return ":".join(str(value[k]) for k in ("source", "target", "permissions")
                        if value.get(k))
    return str(value)


def security_settings(service: dict[str, Any], host_network: bool) -> SecuritySettings:
    """cap_add, cap_drop, privileged, security_opt, devices, sysctls, ulimits, userns_mode."""
    return SecuritySettings.parse(
        cap_add=tuple(service.get("cap_add") or ()),
        cap_drop=tuple(service.get("cap_drop") or ()),
        privileged=bool(service.get("privileged")),
        security_opt=tuple(service.get("security_opt") or ()),
        devices=tuple(_device(d) for d in service.get("devices") or []),
        sysctls=tuple(_pairs(service.get("sysctls"))),
        ulimits=tuple(_ulimits(service.get("ulimits") or {})),
        userns=str(service.get("userns_mode") or ""),
        host_network=host_network,
    )


def _nanoseconds(check: dict[str, Any], key: str) -> int:
    value: Any = check.get(key)
    if value in (None, ""):
        return 0
    try:
        ns = parse_duration(value)
    except ValueError:
        raise InvalidArgument(f"healthcheck.{key}: invalid duration {value!r}; use e.g. "
                              "2s, 500ms or 1m30s") from None
    if ns < 0 or 0 < ns < MIN_DURATION:
        raise InvalidArgument(f"healthcheck.{key}: {value!r} is too short; use at least 1ms")
    return ns


def health_settings(service: dict[str, Any]) -> HealthSettings:
    """``healthcheck`` over the image's HEALTHCHECK, as Docker merges them."""
    check = service.get("healthcheck") or {}
    if check.get("disable"):
        return HealthSettings(test=["NONE"])
    test = check.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    test = [str(t) for t in test or []]
    if test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise InvalidArgument(f"healthcheck.test: {test[0]!r} must be CMD, CMD-SHELL or NONE")
    retries = check.get("retries")
    if retries is not None and int(retries) < 0:
        raise InvalidArgument("healthcheck.retries cannot be negative")
    return HealthSettings(
        test=test, interval=_nanoseconds(check, "interval"),
        timeout=_nanoseconds(check, "timeout"),
        start_period=_nanoseconds(check, "start_period"),
        start_interval=_nanoseconds(check, "start_interval"),
        retries=int(retries or 0))


def lifecycle_settings(service: dict[str, Any]) -> LifecycleSettings:
    """restart, stop_signal, stop_grace_period, logging."""
    grace: Any = service.get("stop_grace_period")
    try:
        seconds = None if grace in (None, "") else math.ceil(parse_duration(grace) / 1e9)
    except ValueError:
        raise InvalidArgument(f"stop_grace_period: invalid duration {grace!r}") from None
    logging = service.get("logging") or {}
    restart = service.get("restart")
    return LifecycleSettings.parse(
        restart=None if restart in (None, "no") else str(restart),
        stop_signal=service.get("stop_signal") or None,
        stop_timeout=seconds,
        log_driver=logging.get("driver"),
        log_opts=_pairs(logging.get("options")),
    )
