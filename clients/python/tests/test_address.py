"""Address lists, as the Node client's parseAddressList, and the TASKWIRE_* environment."""
from __future__ import annotations

import unittest

from tests.support import SRC  # noqa: F401

from taskwire import Address, AddressError, parse_address_list
from taskwire.address import resolve_addresses
from taskwire.client import wire_options


class ParseTest(unittest.TestCase):
    def test_lists(self) -> None:
        self.assertEqual(
            parse_address_list("a:5001, b ,[::1]:7000,[fd00::2],10.0.0.1", 6000),
            [Address("a", 5001), Address("b", 6000), Address("::1", 7000), Address("fd00::2", 6000),
             Address("10.0.0.1", 6000)],
        )
        self.assertEqual(str(Address("::1", 7000)), "[::1]:7000")
        self.assertEqual(str(Address("h", 1)), "h:1")

    def test_bad_lists(self) -> None:
        cases = {
            "": "empty server address list",
            "a,,b": "item 2 is empty",
            "a:x": "port 'x' is not a number",
            "a:70000": "out of range",
            "a:": "the port after ':' is empty",
            "::1": "needs brackets",
            "[::1": "missing ']'",
            "[::1]x": "expected ':port'",
            "[nothex]:1": "is not an IPv6 address",
            "http://a:1": "not a URL",
            ":5000": "the host is empty",
            "a b": "is not a host name",
        }
        for text, message in cases.items():
            with self.subTest(text=text):
                with self.assertRaises(AddressError) as caught:
                    parse_address_list(text)
                self.assertIn(message, str(caught.exception))
                self.assertIsInstance(caught.exception, ValueError)

    def test_environment(self) -> None:
        env = {"TASKWIRE_HOST": "a,b:7", "TASKWIRE_PORT": "6000"}
        self.assertEqual(resolve_addresses(None, env=env), [Address("a", 6000), Address("b", 7)])
        self.assertEqual(resolve_addresses("c", env=env), [Address("c", 6000)])
        self.assertEqual(resolve_addresses("c", 9, env=env), [Address("c", 9)])
        self.assertEqual(resolve_addresses(None, env={}), [Address("127.0.0.1", 5000)])
        with self.assertRaises(AddressError):
            resolve_addresses(None, env={"TASKWIRE_PORT": "zero"})


class OptionsTest(unittest.TestCase):
    def test_snake_case_becomes_camel_case(self) -> None:
        from datetime import datetime, timezone

        at = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
        self.assertEqual(
            wire_options({"max_attempts": 2, "reps": 3, "run_at": at, "maxAttempts2": 1, "key": None}),
            {"maxAttempts": 2, "reps": 3, "runAt": "2030-01-02T03:04:05.678Z", "maxAttempts2": 1},
        )


if __name__ == "__main__":
    unittest.main()
