"""How a container ends and what it leaves: --restart, --stop-signal,
--stop-timeout, --log-driver and --log-opt, validated as Docker does."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument

#: drivers whose output ``hullbox logs`` reads; ``local`` is kept in the same
#: JSON-lines file, with its own rotation defaults (Docker's 20 MiB x 5)
LOG_DRIVERS = ("json-file", "local", "none")
_LOG_OPTS = {
    "json-file": ("max-size", "max-file", "compress", "labels", "labels-regex", "env",
                  "env-regex", "tag"),
    "local": ("max-size", "max-file", "compress"),
    "none": (),
}
_LOCAL_DEFAULTS = {"max-size": "20m", "max-file": "5"}


def parse_human_size(text: str, what: str) -> int:
    """Docker's FromHumanSize (decimal units: 10m is 10,000,000 bytes), as
    the json-file driver reads max-size."""
    units = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
    value = text.strip().lower().removesuffix("b").removesuffix("i")
    unit = value[-1:] if value[-1:] in tuple("kmgtp") else ""
    try:
        size = int(float(value[:len(value) - len(unit)].strip()) * units[unit])
    except ValueError:
        raise InvalidArgument(
            f"invalid {what} {text!r}: use a size such as 10m, 500k or 1g"
        ) from None
    if size <= 0:
        raise InvalidArgument(f"invalid {what} {text!r}: max-size must be a positive number")
    return size


@dataclass
class LifecycleSettings:
    """Stored with the container (inside ContainerOptions) so `start` repeats it."""

    restart: str = ""           # Docker's --restart; "" is "no"
    stop_signal: str = ""       # "" means the image's STOPSIGNAL, else SIGTERM
    stop_timeout: int | None = None  # seconds; None is Docker's 10, -1 waits for ever
    log_driver: str = "json-file"
    log_opts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, *, restart: str | None = None, stop_signal: str | None = None,
              stop_timeout: int | None = None, log_driver: str | None = None,
              log_opts: list[str] | tuple[str, ...] = ()) -> LifecycleSettings:
        """The settings from flags as typed; InvalidArgument names the bad one."""
        from hullbox.engine.lifecycle import parse_signal
        from hullbox.engine.restart import RestartPolicy

        policy = RestartPolicy.parse(restart)
        if stop_signal:
            parse_signal(stop_signal)
        if stop_timeout is not None and stop_timeout < -1:
            raise InvalidArgument(
                f"invalid --stop-timeout {stop_timeout}: use seconds, or -1 to wait for ever"
            )
        driver = log_driver or "json-file"
        if driver not in LOG_DRIVERS:
            raise InvalidArgument(
                f"logging driver {driver!r} is not supported: use json-file, local or none"
            )
        opts: dict[str, str] = {}
        for item in log_opts:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise InvalidArgument(f"invalid --log-opt {item!r}: use key=value")
            if key not in _LOG_OPTS[driver]:
                raise InvalidArgument(f"unknown log opt '{key}' for {driver} log driver")
            opts[key] = value
        settings = cls("" if policy.name == "no" else str(policy), stop_signal or "",
                       stop_timeout, driver, opts)
        settings.rotation()  # validates max-size and max-file
        return settings

    def rotation(self) -> tuple[int, int]:
        """(max bytes per file or 0 for no limit, number of files kept)."""
        opts = dict(_LOCAL_DEFAULTS, **self.log_opts) if self.log_driver == "local" \
            else self.log_opts
        size = parse_human_size(opts["max-size"], "--log-opt max-size") \
            if "max-size" in opts else 0
        files_text = opts.get("max-file", "1")
        if not files_text.isdigit() or int(files_text) < 1:
            raise InvalidArgument(
                f"invalid --log-opt max-file {files_text!r}: max-file cannot be less than 1"
            )
        return size, int(files_text)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LifecycleSettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)
