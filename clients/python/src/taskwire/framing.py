"""NDJSON framing: one JSON message per line. Pure code, no sockets."""
from __future__ import annotations

import json
from typing import Any, List

__all__ = ["LineFramer", "FrameTooLongError", "encode_message", "decode_message"]

#: Longest line accepted from the server by default (as the Node client: 16 MiB).
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024


class FrameTooLongError(ValueError):
    """The peer sent a line over the limit; the stream cannot be trusted past it."""


class LineFramer:
    """A push parser: feed it chunks split anywhere, it returns the whole lines.

    Lines come back without their ``\\n`` (and without a ``\\r`` before it); empty lines are
    skipped. A line over ``max_line_bytes`` raises :class:`FrameTooLongError`.
    """

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._max = max_line_bytes
        self._buffer = bytearray()
        # Where to resume looking for "\n": the bytes before it hold none.
        self._scanned = 0

    def push(self, chunk: bytes) -> List[bytes]:
        """Adds ``chunk``; returns the lines it completed, in order."""
        self._buffer += chunk
        lines: List[bytes] = []
        start = 0
        while True:
            end = self._buffer.find(b"\n", max(start, self._scanned))
            if end == -1:
                break
            self._check(end - start)
            line = bytes(self._buffer[start:end])
            if line.endswith(b"\r"):
                line = line[:-1]
            if line:
                lines.append(line)
            start = end + 1
            self._scanned = start
        if start:
            del self._buffer[:start]
        self._scanned = len(self._buffer)
        self._check(len(self._buffer))
        return lines

    @property
    def pending(self) -> int:
        """Bytes held of a line not yet complete."""
        return len(self._buffer)

    def _check(self, length: int) -> None:
        if length > self._max:
            raise FrameTooLongError(f"line over {self._max} bytes ({length})")


def encode_message(message: Any) -> bytes:
    """One message as a line of UTF-8 JSON ending in ``\\n``.

    Raises ``TypeError``/``ValueError`` for what JSON cannot carry (a set, NaN, a cycle).
    """
    text = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def decode_message(line: bytes) -> Any:
    """Parses one line; raises ``ValueError`` if it is not UTF-8 JSON."""
    return json.loads(line.decode("utf-8"))
