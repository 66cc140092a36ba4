"""Long text in pieces a channel accepts: cut at line ends, an overlong line between characters."""

from __future__ import annotations

from collections.abc import Callable

Measure = Callable[[str], int]


def utf8_size(text: str) -> int:
    """The size of a text in UTF-8 bytes (WeChat counts bytes)."""
    return len(text.encode())


def split_text(text: str, limit: int, size: Measure = len) -> list[str]:
    """Pieces of at most limit by size (characters, or a channel's measure), cut at line ends if possible."""
    if size(text) <= limit:
        return [text]
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if size(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        pieces = _cut(line, limit, size)
        out.extend(pieces[:-1])
        current = pieces[-1]
    if current or not out:
        out.append(current)
    return out


def _cut(line: str, limit: int, size: Measure) -> list[str]:
    """One line in pieces of at most limit, cut between characters."""
    pieces, piece, used = [], "", 0
    for ch in line:
        n = size(ch)
        if used + n > limit:
            pieces.append(piece)
            piece, used = "", 0
        piece += ch
        used += n
    pieces.append(piece)
    return pieces
