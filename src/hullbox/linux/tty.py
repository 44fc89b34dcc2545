"""Pseudo-terminal ioctls: opening a pty pair, controlling tty, window size."""

from __future__ import annotations

import fcntl
import os
import struct
import termios

TIOCSCTTY = 0x540E
TIOCGWINSZ = 0x5413
TIOCSWINSZ = 0x5414
TIOCSPTLCK = 0x40045431
TIOCGPTN = 0x80045430
TIOCGPTPEER = 0x5441


def open_pty(ptmx: str = "/dev/ptmx") -> tuple[int, int, str]:
    """Open a pty pair from ``ptmx`` (a container's own devpts); return (master, slave, name).

    TIOCGPTPEER opens the slave through the master, so the slave is always the
    one of this devpts instance even when /dev/pts is not where it is expected.
    """
    master = os.open(ptmx, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        fcntl.ioctl(master, TIOCSPTLCK, struct.pack("i", 0))
        number = struct.unpack("I", fcntl.ioctl(master, TIOCGPTN, b"\0" * 4))[0]
        slave = fcntl.ioctl(master, TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        os.close(master)
        raise
    return master, slave, f"/dev/pts/{number}"


def set_controlling_tty(fd: int) -> None:
    """TIOCSCTTY: make ``fd`` the controlling terminal of the calling session leader."""
    fcntl.ioctl(fd, TIOCSCTTY, 0)


def get_winsize(fd: int) -> bytes:
    """The window size of terminal ``fd`` as the raw struct winsize."""
    return fcntl.ioctl(fd, TIOCGWINSZ, b"\0" * 8)


def set_winsize(fd: int, winsize: bytes) -> None:
    """Set the window size of terminal ``fd`` from a raw struct winsize."""
    fcntl.ioctl(fd, TIOCSWINSZ, winsize)


def make_raw(fd: int) -> list[int | list[bytes | int]]:
    """Put terminal ``fd`` in raw mode; return the attributes to restore."""
    old = termios.tcgetattr(fd)
    new = termios.tcgetattr(fd)
    new[0] &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP
                | termios.INLCR | termios.IGNCR | termios.ICRNL | termios.IXON)
    new[1] &= ~termios.OPOST
    new[2] &= ~(termios.CSIZE | termios.PARENB)
    new[2] |= termios.CS8
    new[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN)
    new[6] = list(new[6])
    new[6][termios.VMIN] = 1
    new[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSAFLUSH, new)
    return old


def restore_mode(fd: int, attrs: list[int | list[bytes | int]]) -> None:
    """Restore terminal attributes saved by make_raw."""
    termios.tcsetattr(fd, termios.TCSAFLUSH, attrs)
