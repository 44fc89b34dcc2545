"""Go's string semantics, for matching BuildKit's output byte for byte.

BuildKit is written in Go, and its parser output depends on Go's notion of
white space (``unicode.IsSpace``), lower case (``strings.ToLower``) and quoting
(``strconv.Quote``). Python's built-ins differ at the edges (``str.isspace``
accepts U+001C..U+001F, ``str.lower`` may return two characters), so the
front end uses these instead.

Text that came from bytes which are not valid UTF-8 is decoded with
``surrogateescape``: each bad byte is a lone surrogate U+DC80..U+DCFF, which
lets ``quote`` print it as Go does (``\\xNN``) and lets the bytes round-trip.
"""

from __future__ import annotations

from collections.abc import Iterable

# unicode.White_Space, which is what Go's unicode.IsSpace tests.
GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def is_space(ch: str) -> bool:
    """Go's ``unicode.IsSpace`` for one character."""
    return ch in GO_SPACES


def trim_space(s: str) -> str:
    """Go's ``strings.TrimSpace``."""
    start, end = 0, len(s)
    while start < end and s[start] in GO_SPACES:
        start += 1
    while end > start and s[end - 1] in GO_SPACES:
        end -= 1
    return s[start:end]


def trim_left_space(s: str) -> str:
    """Go's ``strings.TrimLeftFunc(s, unicode.IsSpace)``."""
    start = 0
    while start < len(s) and s[start] in GO_SPACES:
        start += 1
    return s[start:]


def to_lower(s: str) -> str:
    """Go's ``strings.ToLower``: one rune in, one rune out."""
    if s.isascii():
        return s.lower()
    out = []
    for ch in s:
        low = ch.lower()
        # Python's full case mapping can grow a character (U+0130 -> "i\u0307");
        # Go's simple mapping keeps the first rune only.
        out.append(low[0] if low else ch)
    return "".join(out)


def is_bad_byte(ch: str) -> bool:
    """True for a surrogate that stands for one byte of invalid UTF-8."""
    return "\udc80" <= ch <= "\udcff"


def replace_bad_bytes(s: str) -> str:
    """Each invalid-UTF-8 byte (or lone surrogate) as U+FFFD, as Go's decoders do."""
    if s.isascii():
        return s
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in s)


def quote(s: str) -> str:
    """Go's ``strconv.Quote``: a double-quoted Go string literal."""
    out = ['"']
    for ch in s:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif is_bad_byte(ch):
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        else:
            code = ord(ch)
            if code < 0x20 or code == 0x7F:
                out.append(f"\\x{code:02x}")
            elif 0xD800 <= code <= 0xDFFF:
                out.append("\\ufffd")  # not a valid rune: Go prints RuneError
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def quote_list(items: Iterable[str]) -> str:
    """Go's ``fmt.Sprintf("%q", []string{...})``: ``["a" "b"]``."""
    return "[" + " ".join(quote(item) for item in items) + "]"


def encode(s: str) -> bytes:
    """The bytes a decoded (surrogateescape) string came from."""
    return s.encode("utf-8", "surrogateescape")


def decode(b: bytes) -> str:
    """Bytes as text, keeping invalid UTF-8 as lone surrogates."""
    return b.decode("utf-8", "surrogateescape")
