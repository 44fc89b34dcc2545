"""The health check: --health-* flags, or the image's HEALTHCHECK (issue 3).

Stored as Docker stores a container's Healthcheck: the test (``["CMD-SHELL",
"cmd"]``, ``["CMD", "arg", ...]`` or ``["NONE"]``) and durations in
nanoseconds, where 0 means "the image's value, else Docker's default".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument

SECOND = 1_000_000_000
#: Docker's defaults for what neither the container nor the image sets
DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_START_INTERVAL = 5 * SECOND
DEFAULT_RETRIES = 3
MIN_DURATION = 1_000_000  # Docker refuses durations under 1ms (0 is "default")


def parse_duration(text: str, flag: str) -> int:
    """A Go duration (``2s``, ``1m30s``, ``500ms``, ``0``) in nanoseconds."""
    from hullbox.image.healthcheck import parse_duration as go_duration

    try:
        return go_duration(text)
    except ValueError:
        raise InvalidArgument(f"invalid {flag} {text!r}: use a duration such as 2s, 500ms "
                              "or 1m30s") from None


@dataclass
class HealthSettings:
    """Stored with the container (inside ContainerOptions) so `start` repeats it."""

    test: list[str] = field(default_factory=list)  # [] = the image's
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> HealthSettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @classmethod
    def parse(cls, *, cmd: str | None = None, interval: str | None = None,
              timeout: str | None = None, start_period: str | None = None,
              start_interval: str | None = None, retries: int | None = None,
              disabled: bool = False) -> HealthSettings:
        """From the flags as typed; InvalidArgument names the flag that is wrong."""
        given = [cmd, interval, timeout, start_period, start_interval, retries]
        if disabled:
            if any(v not in (None, "") for v in given):
                raise InvalidArgument("--no-healthcheck conflicts with --health-* options; "
                                      "use one or the other")
            return cls(test=["NONE"])
        settings = cls(test=["CMD-SHELL", cmd] if cmd else [])
        for name, value in (("interval", interval), ("timeout", timeout),
                            ("start_period", start_period),
                            ("start_interval", start_interval)):
            if value:
                flag = "--health-" + name.replace("_", "-")
                ns = parse_duration(value, flag)
                if 0 < ns < MIN_DURATION or ns < 0:
                    raise InvalidArgument(f"{flag} {value!r} is too short: use at least 1ms")
                setattr(settings, name, ns)
        if retries is not None:
            if retries < 0:
                raise InvalidArgument("--health-retries cannot be negative")
            settings.retries = retries
        return settings

    def merged(self, image: dict[str, Any] | None) -> Healthcheck | None:
        """The check that applies: these settings over the image's HEALTHCHECK
        (``Test``, ``Interval``... in ns), then Docker's defaults; None when
        there is none or it is disabled (``NONE``)."""
        image = image or {}
        test = self.test or list(image.get("Test") or [])
        if not test or test[0] == "NONE":
            return None

        def pick(own: int, key: str, default: int) -> int:
            return own or int(image.get(key) or 0) or default

        return Healthcheck(
            test=test,
            interval=pick(self.interval, "Interval", DEFAULT_INTERVAL),
            timeout=pick(self.timeout, "Timeout", DEFAULT_TIMEOUT),
            start_period=pick(self.start_period, "StartPeriod", 0),
            start_interval=pick(self.start_interval, "StartInterval", DEFAULT_START_INTERVAL),
            retries=pick(self.retries, "Retries", DEFAULT_RETRIES),
        )


@dataclass(frozen=True)
class Healthcheck:
    """A check ready to run: every value set."""

    test: list[str]
    interval: int
    timeout: int
    start_period: int
    start_interval: int
    retries: int

    def command(self, shell: list[str] | None = None) -> list[str]:
        """The command to exec: CMD-SHELL through the image's shell (/bin/sh -c)."""
        kind, *rest = self.test
        if kind == "CMD-SHELL":
            return [*(shell or ["/bin/sh", "-c"]), " ".join(rest)]
        return list(rest) if kind == "CMD" else list(self.test)

    def to_inspect(self) -> dict[str, Any]:
        """Config.Healthcheck of ``docker inspect``."""
        return {"Test": self.test, "Interval": self.interval, "Timeout": self.timeout,
                "StartPeriod": self.start_period, "StartInterval": self.start_interval,
                "Retries": self.retries}
