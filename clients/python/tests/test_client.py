"""The client against a real server: the built-in types, every call, bad input, failover."""
from __future__ import annotations

import os
import socket
import threading
import time
import unittest
from datetime import datetime, timezone
from typing import List
from unittest import mock

from tests.support import ServerTestCase

import taskwire


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BuiltinTypesTest(ServerTestCase):
    def test_submit_status_wait(self) -> None:
        client = self.client()
        task_id = client.submit("flip", "hello")
        self.assertRegex(task_id, r"^[0-9]+$")
        seen = client.status(task_id)
        self.assertEqual((seen.id, seen.type, seen.data), (task_id, "flip", "hello"))
        self.assertIn(seen.status, ("enqueued", "processing", "done"))
        done = client.wait(task_id)
        self.assertEqual((done.status, done.result, done.error), ("done", "olleh", None))
        self.assertTrue(done.finished and done.ok)
        self.assertEqual((done.reps, done.units_done, done.attempts), (1, 1, 1))
        for moment in (done.created_at, done.started_at, done.finished_at, done.updated_at):
            self.assertIsInstance(moment, datetime)
            assert moment is not None
            self.assertEqual(moment.utcoffset().total_seconds(), 0)  # type: ignore[union-attr]
        assert done.created_at and done.finished_at
        self.assertLessEqual(done.created_at, done.finished_at)
        self.assertLess(abs((datetime.now(timezone.utc) - done.finished_at).total_seconds()), 60)
        self.assertEqual(done.raw["result"], "olleh")

    def test_run_each_type(self) -> None:
        client = self.client()
        for type_, data, result in (
            ("flip", "hello", "olleh"),
            ("swap", "swap", "wspa"),
            ("swap", "odd", "dod"),
            ("repeat", "abc", "abbccc"),
            ("1", "ab", "ba"),
        ):
            with self.subTest(type=type_, data=data):
                task = client.run(type_, data, timeout=10)
                self.assertEqual((task.status, task.result), ("done", result))

    def test_wait_pushes_updates(self) -> None:
        client = self.client()
        task_id = client.submit("repeat", "updates")
        statuses: List[str] = []
        threads: List[str] = []

        def on_update(task: taskwire.Task) -> None:
            statuses.append(task.status)
            threads.append(threading.current_thread().name)

        done = client.wait(task_id, timeout=10, on_update=on_update)
        self.assertEqual(done.result, "".join(c * (i + 1) for i, c in enumerate("updates")))
        self.assertIn("processing", statuses)
        self.assertEqual(set(threads), {threading.current_thread().name}, "callbacks on the caller's thread")

    def test_submit_many(self) -> None:
        client = self.client()
        ids = client.submit_many([("flip", "abc"), {"type": "swap", "data": "abcd"}, ("repeat", "ab", {"reps": 1})])
        self.assertEqual(len(set(ids)), 3)
        results = [client.wait(i, timeout=10).result for i in ids]
        self.assertEqual(results, ["cba", "badc", "abb"])

    def test_status_with_attempts(self) -> None:
        client = self.client()
        task = client.run("flip", "log", timeout=10)
        logged = client.status(task.id, attempts=True)
        assert logged.attempt_log is not None
        self.assertEqual(len(logged.attempt_log), 1)
        attempt = logged.attempt_log[0]
        self.assertEqual((attempt.n, attempt.state, attempt.worker), (1, "done", "local"))
        self.assertIsInstance(attempt.started_at, datetime)
        self.assertIsNone(client.status(task.id).attempt_log)

    def test_ping_and_workers(self) -> None:
        client = self.client()
        pong = client.ping()
        self.assertTrue(pong.store_ok)
        self.assertTrue(pong.server.startswith("taskwire"))
        local = [w for w in client.workers() if w.id == "local"]
        self.assertEqual(len(local), 1)
        self.assertIn("flip", local[0].types)

    def test_threads_share_one_client(self) -> None:
        client = self.client()
        errors: List[BaseException] = []
        results: List[str] = []

        def work(n: int) -> None:
            try:
                for k in range(4):
                    data = f"t{n}k{k}"
                    if k % 2:
                        task = client.run("flip", data, timeout=20)
                    else:
                        task = client.wait(client.submit("flip", data), timeout=20)
                    results.append(task.result == data[::-1] and "ok" or f"bad {task.result}")
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(results, ["ok"] * 24)

    def test_call_any_method(self) -> None:
        client = self.client()
        self.assertTrue(client.call("ping")["pong"])


class BadInputTest(ServerTestCase):
    def test_unknown_type(self) -> None:
        client = self.client()
        with self.assertRaises(taskwire.UnknownTaskTypeError) as caught:
            client.submit("no-such-type", "x")
        error = caught.exception
        self.assertEqual((error.code, error.code_name), (1002, "UNKNOWN_TASK_TYPE"))
        self.assertIn("flip", error.data["known"])
        with self.assertRaises(taskwire.UnknownTaskTypeError):
            client.run("no-such-type", "x")

    def test_empty_data(self) -> None:
        client = self.client()
        with self.assertRaises(taskwire.InvalidTaskDataError) as caught:
            client.submit("flip", "")
        self.assertEqual(caught.exception.code, 1003)
        self.assertIn("empty", str(caught.exception))
        with self.assertRaises(taskwire.InvalidTaskDataError):
            client.submit_many([("flip", "ok"), ("flip", "")])  # all or nothing

    def test_unknown_id(self) -> None:
        client = self.client()
        for call in (client.status, client.wait, client.cancel):
            with self.subTest(call=call.__name__):
                with self.assertRaises(taskwire.TaskNotFoundError):
                    call("999999")

    def test_not_cancelable(self) -> None:
        client = self.client()
        task = client.run("flip", "done", timeout=10)
        with self.assertRaises(taskwire.TaskNotCancelableError) as caught:
            client.cancel(task.id)
        self.assertEqual(caught.exception.data["status"], "done")

    def test_options_reach_the_server(self) -> None:
        client = self.client()
        with self.assertRaises(taskwire.InvalidParamsError) as caught:
            client.submit("flip", "x", no_such_option=1)
        self.assertIn("noSuchOption", str(caught.exception))
        with self.assertRaises(taskwire.InvalidParamsError):
            client.submit("flip", "x", max_attempts=0)  # out of range: the server checked it
        self.assertEqual(client.wait(client.submit("flip", "ok", max_attempts=1, reps=1)).result, "ko")

    def test_scheduling_options(self) -> None:
        client = self.client()
        later = datetime.fromtimestamp(time.time() + 3600, timezone.utc)
        task = client.status(client.submit("flip", "x", priority=4, run_at=later, key="py-1"))
        self.assertEqual((task.status, task.priority, task.key), ("scheduled", 4, "py-1"))
        assert task.run_at is not None
        self.assertAlmostEqual(task.run_at.timestamp(), later.timestamp(), delta=0.01)
        self.assertEqual(client.submit("flip", "y", key="py-1"), task.id)  # a duplicate
        self.assertEqual(client.cancel(task.id).status, "canceled")
        with self.assertRaises(taskwire.ScheduleNotFoundError):
            client.call("schedule.remove", {"name": "none"})
        with self.assertRaises(taskwire.InvalidScheduleError):
            client.call("schedule.add", {"name": "s", "cron": "61 * * * *", "type": "flip", "data": "x"})

    def test_large_data_and_a_line_over_the_server_limit(self) -> None:
        client = self.client()
        big = "é" * (400 * 1024)  # 800 KiB of UTF-8: under the server's 1 MiB line limit
        task = client.run("noop", big, timeout=10)
        self.assertEqual(client.status(task.id).data, big)
        with self.assertRaises(taskwire.ConnectionLostError) as caught:
            client.submit("noop", "x" * (1024 * 1024 + 1))
        self.assertIn("line longer than", str(caught.exception))  # what the server said
        self.assertTrue(client.ping().store_ok)  # on a new connection

    def test_unserialisable_data_fails_the_call_not_the_connection(self) -> None:
        client = self.client()
        with self.assertRaises(TypeError):
            client.submit("noop", {1, 2})
        self.assertTrue(client.ping().store_ok)


class ConnectingTest(ServerTestCase):
    def test_cannot_connect(self) -> None:
        port = free_port()
        started = time.monotonic()
        with self.assertRaises(taskwire.ConnectError) as caught:
            taskwire.Client(f"127.0.0.1:{port}", connect_timeout=2)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn(f"127.0.0.1:{port}", str(caught.exception))
        self.assertIn("ECONNREFUSED", str(caught.exception))

    def test_fails_over_to_the_next_address(self) -> None:
        dead = free_port()
        with taskwire.Client(f"127.0.0.1:{dead},{self.server.address}") as client:
            self.assertEqual(client.address, self.server.address)
            self.assertEqual(client.run("flip", "over", timeout=10).result, "revo")
        with self.assertRaises(taskwire.ConnectError) as caught:
            taskwire.Client(f"127.0.0.1:{dead},127.0.0.1:{free_port()}")
        self.assertIn("cannot connect to any of", str(caught.exception))
        self.assertEqual(len(caught.exception.failures), 2)

    def test_environment(self) -> None:
        env = {"TASKWIRE_HOST": "127.0.0.1", "TASKWIRE_PORT": str(self.server.port)}
        with mock.patch.dict(os.environ, env):
            with taskwire.Client() as client:
                self.assertEqual(client.address, self.server.address)
                self.assertTrue(client.ping().store_ok)

    def test_closed_client(self) -> None:
        client = taskwire.Client(self.server.address)
        task_id = client.submit("flip", "closing")
        client.close()
        client.close()  # twice is fine
        with self.assertRaises(taskwire.ClientClosedError):
            client.status(task_id)

    def test_bad_tls_arguments(self) -> None:
        with self.assertRaises(ValueError):
            taskwire.Client(self.server.address, ca="/nonexistent.pem")


if __name__ == "__main__":
    unittest.main()
