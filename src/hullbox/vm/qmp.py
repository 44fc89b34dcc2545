"""A synchronous face on qemu.qmp's asyncio client, for one-shot commands.

QEMU serves one QMP client at a time, so every use connects, sends its
commands and disconnects promptly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from qemu.qmp import ExecuteError, QMPClient, QMPError

from hullbox.errors import MachineFailure

T = TypeVar("T")

# qemu.qmp logs a warning when QEMU goes away mid-session (quit, powerdown);
# that is an expected end here, and hullbox reports errors itself.
logging.getLogger("qemu.qmp").addHandler(logging.NullHandler())
logging.getLogger("qemu.qmp").propagate = False


class Monitor:
    """One QMP session: ``with Monitor(path, "deb") as qmp: qmp.execute(...)``."""

    def __init__(self, socket: Path, machine: str, timeout: float = 10.0) -> None:
        self._socket = socket
        self._machine = machine
        self._timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._client = QMPClient(machine)

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        return self._loop.run_until_complete(asyncio.wait_for(coro, timeout or self._timeout))

    def __enter__(self) -> Monitor:
        try:
            self._run(self._client.connect(str(self._socket)), None)
        except (QMPError, OSError, EOFError, TimeoutError) as exc:
            self._loop.close()
            raise MachineFailure(f"VM {self._machine}: cannot reach QEMU's monitor at "
                                 f"{self._socket}: {exc or type(exc).__name__}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._run(self._client.disconnect(), 5)
        except (QMPError, OSError, EOFError, TimeoutError):
            pass  # QEMU may have exited (quit, powerdown): nothing left to close
        finally:
            self._loop.close()

    def execute(self, command: str, arguments: dict[str, Any] | None = None,
                timeout: float | None = None) -> Any:
        """Run one QMP command; its error becomes a MachineFailure naming it."""
        return self._guarded(command, self._client.execute(command, arguments), timeout)

    def execute_and_wait(self, command: str, arguments: dict[str, Any], event: str,
                         data: dict[str, Any], timeout: float) -> bool:
        """Run one QMP command and wait for the ``event`` whose data holds
        ``data``; False if it did not come within ``timeout`` seconds."""
        def matches(message: Any) -> bool:
            found = message.get("data", {})
            return all(found.get(key) == value for key, value in data.items())

        async def run() -> bool:
            with self._client.listener(event, event_filter=matches) as listener:
                await self._client.execute(command, arguments)
                try:
                    await asyncio.wait_for(listener.get(), timeout)
                except TimeoutError:
                    return False
            return True

        result: bool = self._guarded(command, run(), timeout + self._timeout)
        return result

    def _guarded(self, command: str, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        try:
            return self._run(coro, timeout)
        except ExecuteError as exc:
            raise MachineFailure(f"VM {self._machine}: {command}: {exc}") from exc
        except (QMPError, OSError, EOFError, TimeoutError) as exc:
            raise MachineFailure(f"VM {self._machine}: {command}: "
                                 f"{exc or type(exc).__name__}") from exc

    def hmp(self, command_line: str, timeout: float | None = None) -> str:
        """A human-monitor command (savevm, loadvm, delvm); returns its text output."""
        output = self.execute("human-monitor-command", {"command-line": command_line}, timeout)
        return str(output)
