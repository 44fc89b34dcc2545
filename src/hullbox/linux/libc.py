"""Loading libc once and turning its -1/errno returns into OSError."""

from __future__ import annotations

import ctypes
import os

TYPE_CHECKING = False  # typing is for the type checker only (import time on every run)
if TYPE_CHECKING:
    from typing import Any


def _load() -> ctypes.CDLL:
    # find_library runs ldconfig in a subprocess (~10 ms on every start): try the
    # glibc soname first and search only when it is not there (musl etc.).
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        from ctypes.util import find_library

        return ctypes.CDLL(find_library("c") or "libc.so", use_errno=True)


_libc = _load()


def libc() -> ctypes.CDLL:
    """The process's libc, loaded with errno support."""
    return _libc


def check(result: int, what: str, *args: Any) -> int:
    """Raise OSError (with errno and a description of the call) when result is -1."""
    if result == -1:
        err = ctypes.get_errno()
        detail = " ".join(str(a) for a in args)
        raise OSError(err, f"{what}{' ' + detail if detail else ''}: {os.strerror(err)}")
    return result
