"""The NDJSON framer, fed whole, at every split point and one byte at a time."""
from __future__ import annotations

import json
import unittest
from typing import List

from tests.support import SRC  # noqa: F401  (puts the package on the path)

from taskwire.framing import FrameTooLongError, LineFramer, decode_message, encode_message

STREAM = b'{"a":1}\n{"b":"\xc3\xa9"}\r\n\n{"c":[1,2]}\n'
LINES = [b'{"a":1}', b'{"b":"\xc3\xa9"}', b'{"c":[1,2]}']


def feed(framer: LineFramer, chunks: List[bytes]) -> List[bytes]:
    out: List[bytes] = []
    for chunk in chunks:
        out.extend(framer.push(chunk))
    return out


class FramerTest(unittest.TestCase):
    def test_whole_stream(self) -> None:
        self.assertEqual(feed(LineFramer(), [STREAM]), LINES)

    def test_every_split_point(self) -> None:
        for i in range(len(STREAM) + 1):
            with self.subTest(split=i):
                self.assertEqual(feed(LineFramer(), [STREAM[:i], STREAM[i:]]), LINES)

    def test_one_byte_at_a_time(self) -> None:
        framer = LineFramer()
        self.assertEqual(feed(framer, [STREAM[i:i + 1] for i in range(len(STREAM))]), LINES)
        self.assertEqual(framer.pending, 0)

    def test_partial_line_is_kept(self) -> None:
        framer = LineFramer()
        self.assertEqual(framer.push(b'{"x":'), [])
        self.assertEqual(framer.pending, 5)
        self.assertEqual(framer.push(b"2}\n"), [b'{"x":2}'])

    def test_line_over_the_limit(self) -> None:
        framer = LineFramer(max_line_bytes=8)
        self.assertEqual(framer.push(b"12345678\n"), [b"12345678"])
        with self.assertRaises(FrameTooLongError):
            framer.push(b"123456789\n")
        with self.assertRaises(FrameTooLongError):
            LineFramer(max_line_bytes=8).push(b"123456789")  # no newline yet: still too long


class EncodeTest(unittest.TestCase):
    def test_one_line_of_utf8(self) -> None:
        line = encode_message({"data": "a\nb\u2028é"})
        self.assertTrue(line.endswith(b"\n"))
        self.assertEqual(line.count(b"\n"), 1)
        self.assertEqual(decode_message(line.rstrip(b"\n")), {"data": "a\nb\u2028é"})

    def test_what_json_cannot_carry(self) -> None:
        for value in (float("nan"), {1, 2}, object()):
            with self.subTest(value=repr(value)):
                with self.assertRaises((TypeError, ValueError)):
                    encode_message({"data": value})

    def test_decode_rejects_garbage(self) -> None:
        for line in (b"not json", b"\xff\xfe"):
            with self.assertRaises(ValueError):
                decode_message(line)
        self.assertEqual(decode_message(json.dumps([1]).encode()), [1])


if __name__ == "__main__":
    unittest.main()
