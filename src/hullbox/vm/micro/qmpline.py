"""A few QMP commands over an inherited socket, without asyncio.

A microVM run sends three commands on the hot path; qemu.qmp's event loop
costs more to import than they take, so this speaks the line protocol
directly (one JSON object per line; events are skipped).
"""

from __future__ import annotations

import json
import socket
from typing import Any

from hullbox.errors import MachineFailure


class QmpLine:
    """``QmpLine(sock).execute("query-status")`` after the greeting is read."""

    def __init__(self, sock: socket.socket, timeout: float = 30.0) -> None:
        self._sock = sock
        self._sock.settimeout(timeout)
        self._buffer = b""
        self._read()  # the greeting
        self.execute("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise MachineFailure("QEMU's monitor did not answer") from None
            if not chunk:
                raise MachineFailure("QEMU exited (its monitor closed)")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        request: dict[str, Any] = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self._sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise MachineFailure(f"QEMU {command}: {reply['error'].get('desc', reply)}")
            # an event: not the answer


def ignore_shared(qmp: QmpLine) -> None:
    """RAM the template shares from its file is not copied into the state."""
    qmp.execute("migrate-set-capabilities",
                {"capabilities": [{"capability": "x-ignore-shared", "state": True}]})
