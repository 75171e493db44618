"""Tokens against a real server started with --auth-file: auth first, roles, refusals."""
from __future__ import annotations

import os
import tempfile
import shutil
import unittest

from tests.support import start_server

import taskwire

CLIENT = "client-token-aaaaaaaaaaaaaaaa"
WORKER = "worker-token-bbbbbbbbbbbbbbbb"
ADMIN = "admin-token-dddddddddddddddd"


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = tempfile.mkdtemp(prefix="taskwire-pyauth-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        path = os.path.join(cls.dir, "tokens.auth")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"# test tokens\n{CLIENT} client\n{WORKER} worker\n{ADMIN} admin\n")
        cls.server = start_server(cls, "--auth-file", path, cls=True)

    def test_client_token_runs_tasks_and_is_forbidden_worker_methods(self) -> None:
        with taskwire.Client(self.server.address, token=CLIENT) as client:
            self.assertEqual(client.run("flip", "abc").result, "cba")
            with self.assertRaises(taskwire.ForbiddenError) as caught:
                client.workers()
            self.assertIsInstance(caught.exception, taskwire.AuthError)
            self.assertEqual(caught.exception.code_name, "FORBIDDEN")
            self.assertTrue(client.ping().store_ok, "the connection keeps working")

    def test_wrong_token_is_refused(self) -> None:
        with self.assertRaises(taskwire.UnauthorizedError) as caught:
            taskwire.Client(self.server.address, token="wrong-token-000000000000")
        self.assertIn("invalid token", str(caught.exception))

    def test_token_from_the_environment_and_admin(self) -> None:
        os.environ["TASKWIRE_TOKEN"] = ADMIN
        try:
            with taskwire.Client(self.server.address) as client:
                self.assertIsInstance(client.workers(), list)
        finally:
            del os.environ["TASKWIRE_TOKEN"]

    def test_worker_needs_the_worker_role(self) -> None:
        worker = taskwire.Worker(self.server.address, token=CLIENT)
        worker.register("flip", lambda job: job.data[::-1])
        with self.assertRaises(taskwire.ForbiddenError):
            worker.start()
        worker = taskwire.Worker(self.server.address, token=WORKER, name="py-authed")
        worker.register("flip", lambda job: job.data[::-1])
        worker.start()
        try:
            with taskwire.Client(self.server.address, token=ADMIN) as client:
                self.assertIn("py-authed", [w.name for w in client.workers()])
        finally:
            worker.stop()


if __name__ == "__main__":
    unittest.main()
