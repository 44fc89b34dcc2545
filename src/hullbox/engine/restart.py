"""Restart policies (``--restart``), as Docker defines them; the monitor applies them."""

from __future__ import annotations

from dataclasses import dataclass

from hullbox.errors import InvalidArgument

POLICIES = ("no", "always", "unless-stopped", "on-failure")


@dataclass(frozen=True)
class RestartPolicy:
    """``name`` is one of POLICIES; ``max_retries`` (0 = unlimited) only for on-failure."""

    name: str = "no"
    max_retries: int = 0

    @classmethod
    def parse(cls, text: str | None) -> RestartPolicy:
        """``no``, ``always``, ``unless-stopped``, ``on-failure[:N]``."""
        name, sep, count = (text or "no").partition(":")
        if name not in POLICIES:
            raise InvalidArgument(
                f"invalid restart policy {text!r}: use no, always, unless-stopped "
                "or on-failure[:max-retries]"
            )
        if sep and name != "on-failure":
            raise InvalidArgument(
                f"invalid restart policy {text!r}: only on-failure takes a retry count"
            )
        retries = 0
        if sep:
            if not count.isdigit():
                raise InvalidArgument(
                    f"invalid restart policy {text!r}: the retry count must be a number"
                )
            retries = int(count)
        return cls(name, retries)

    def __str__(self) -> str:
        if self.name == "on-failure" and self.max_retries:
            return f"on-failure:{self.max_retries}"
        return self.name

    def should_restart(self, exit_code: int, restart_count: int, stopped_by_user: bool) -> bool:
        """Whether the monitor starts the container again after it exited."""
        if stopped_by_user or self.name == "no":
            return False
        if self.name == "on-failure":
            return exit_code != 0 and (not self.max_retries or restart_count < self.max_retries)
        return True


def backoff(restart_count: int) -> float:
    """Seconds to wait before restart number ``restart_count + 1``: Docker's
    100 ms doubling, capped at a minute, so a crashing container does not spin."""
    return float(min(0.1 * (2 ** restart_count), 60.0))
