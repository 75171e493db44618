"""The exception classes: in step with the server's error catalogue, and built from the wire."""
from __future__ import annotations

import pickle
import re
import unittest
from typing import Dict

from tests.support import REPO_ROOT

import taskwire
from taskwire import errors


def catalogue() -> Dict[str, int]:
    """Every ``NAME: number`` of ``ErrorCode`` in src/protocol/errors.ts."""
    source = (REPO_ROOT / "src" / "protocol" / "errors.ts").read_text(encoding="utf-8")
    block = re.search(r"export const ErrorCode = \{(.*?)\} as const", source, re.S)
    assert block is not None, "ErrorCode not found in src/protocol/errors.ts"
    body = re.sub(r"//[^\n]*", "", block.group(1))
    codes = {name: int(code) for name, code in re.findall(r"([A-Z][A-Z0-9_]*)\s*:\s*(-?\d+)", body)}
    assert len(codes) >= 16, f"parsed too few codes from errors.ts: {codes}"
    return codes


def class_name(code_name: str) -> str:
    """PARSE_ERROR -> ParseError, TASK_NOT_FOUND -> TaskNotFoundError."""
    words = code_name.split("_")
    if words[-1] == "ERROR":
        words = words[:-1]
    return "".join(w.capitalize() for w in words) + "Error"


class CatalogueTest(unittest.TestCase):
    def test_every_code_has_its_class(self) -> None:
        for name, code in catalogue().items():
            with self.subTest(name=name):
                cls = taskwire.ERROR_CLASSES.get(code)
                self.assertIsNotNone(cls, f"no Python class for {name} ({code})")
                assert cls is not None
                self.assertEqual(cls.code, code)
                self.assertEqual(cls.code_name, name)
                self.assertEqual(cls.__name__, class_name(name))
                self.assertIs(getattr(taskwire, cls.__name__), cls, "exported from taskwire")
                self.assertIn(cls.__name__, taskwire.__all__)
                self.assertTrue(issubclass(cls, taskwire.TaskwireError))

    def test_no_class_claims_a_code_the_catalogue_lacks(self) -> None:
        codes = set(catalogue().values())
        self.assertEqual(set(taskwire.ERROR_CLASSES), codes)
        claimed = [c for c in vars(errors).values()
                   if isinstance(c, type) and issubclass(c, taskwire.TaskwireError) and c.code is not None]
        for cls in claimed:
            with self.subTest(cls=cls.__name__):
                self.assertIn(cls.code, codes)
                self.assertIs(taskwire.ERROR_CLASSES[cls.code], cls)

    def test_every_exception_is_exported(self) -> None:
        for name, value in vars(errors).items():
            if isinstance(value, type) and issubclass(value, taskwire.TaskwireError):
                self.assertIn(name, errors.__all__)
                self.assertIs(getattr(taskwire, name), value)

    def test_a_code_cannot_be_registered_twice(self) -> None:
        with self.assertRaises(ValueError):
            @taskwire.error_class(1001, "TASK_NOT_FOUND_AGAIN")
            class Again(taskwire.TaskwireError):
                pass


class FromWireTest(unittest.TestCase):
    def test_known_code(self) -> None:
        error = taskwire.error_from_wire({"code": 1004, "message": "task 7 is done", "data": {"status": "done"}})
        self.assertIsInstance(error, taskwire.TaskNotCancelableError)
        self.assertEqual((error.code, error.code_name, error.data), (1004, "TASK_NOT_CANCELABLE", {"status": "done"}))
        self.assertEqual(str(error), "task 7 is done")

    def test_unknown_code_is_the_base_class(self) -> None:
        error = taskwire.error_from_wire({"code": 4242, "message": "from a newer server", "data": [1]})
        self.assertIs(type(error), taskwire.TaskwireError)
        self.assertEqual((error.code, error.code_name, error.data), (4242, None, [1]))

    def test_malformed_error_objects(self) -> None:
        self.assertIs(type(taskwire.error_from_wire("nope")), taskwire.TaskwireError)
        error = taskwire.error_from_wire({"code": "x", "message": "m"})
        self.assertEqual((type(error), error.code, error.message), (taskwire.TaskwireError, None, "m"))

    def test_errors_pickle(self) -> None:
        for error in (
            taskwire.error_from_wire({"code": 1002, "message": "unknown", "data": {"known": ["flip"]}}),
            taskwire.ConnectionLostError("submit", "a:1", "reset"),
            taskwire.TaskwireTimeoutError("late", "wait"),
        ):
            with self.subTest(error=type(error).__name__):
                copy = pickle.loads(pickle.dumps(error))
                self.assertIs(type(copy), type(error))
                self.assertEqual((str(copy), copy.code, copy.data), (str(error), error.code, error.data))


class HierarchyTest(unittest.TestCase):
    def test_own_classes_for_connection_auth_and_timeout(self) -> None:
        for cls in (taskwire.ConnectError, taskwire.ConnectionLostError, taskwire.AuthError,
                    taskwire.TaskwireTimeoutError, taskwire.ClientClosedError, taskwire.AddressError):
            self.assertTrue(issubclass(cls, taskwire.TaskwireError), cls)
        self.assertTrue(issubclass(taskwire.TaskwireTimeoutError, TimeoutError))
        self.assertTrue(issubclass(taskwire.AddressError, ValueError))

    def test_lost_submit_says_it_may_have_been_accepted(self) -> None:
        self.assertIn("may or may not have been accepted", str(taskwire.ConnectionLostError("submit", "h:1")))
        self.assertNotIn("accepted", str(taskwire.ConnectionLostError("status", "h:1")))


if __name__ == "__main__":
    unittest.main()
