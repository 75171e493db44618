"""Servers going away: a restart under a waiting client, and a worker failing over."""
from __future__ import annotations

import threading
import unittest
from typing import List

from tests.support import Server, start_server, wait_until
from tests.test_worker import new_type

import taskwire


class RestartTest(unittest.TestCase):
    def test_wait_resumes_after_a_server_restart(self) -> None:
        # flip takes 1 s here: long enough to kill the server while it runs.
        server = start_server(self, delay_scale=0.5)
        client = taskwire.Client(server.address, timeout=20)
        self.addCleanup(client.close)
        task_id = client.submit("flip", "restart")
        processing = threading.Event()
        updates: List[str] = []

        def on_update(task: taskwire.Task) -> None:
            updates.append(task.status)
            if task.status == "processing":
                processing.set()

        result: List[taskwire.Task] = []
        errors: List[BaseException] = []

        def waiter() -> None:
            try:
                result.append(client.wait(task_id, timeout=30, on_update=on_update))
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        thread = threading.Thread(target=waiter)
        thread.start()
        self.assertTrue(processing.wait(10), f"the task runs (updates {updates})")
        server.kill()  # a crash: the task was processing and is not done
        wait_until(lambda: not client.connected, 5, "the client to see the drop")
        server.start()  # same port, same database
        thread.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(len(result), 1)
        task = result[0]
        self.assertEqual((task.id, task.status, task.result), (task_id, "done", "tratser"))
        self.assertTrue(client.connected)
        self.assertEqual(client.status(task_id).result, "tratser")
        self.assertEqual(updates.count("done") <= 1, True)
        log = client.status(task_id, attempts=True).attempt_log
        assert log is not None
        self.assertEqual([a.state for a in log], ["released", "done"])

    def test_calls_wait_for_a_connection_within_their_timeout(self) -> None:
        server = start_server(self)
        client = taskwire.Client(server.address, timeout=0.5)
        self.addCleanup(client.close)
        server.kill()
        wait_until(lambda: not client.connected, 5, "the client to see the drop")
        with self.assertRaises(taskwire.TaskwireTimeoutError) as caught:
            client.ping()  # queued until a connection comes back; none does within the timeout
        self.assertIn("not connected", str(caught.exception))
        server.start()
        client.timeout = 10
        self.assertTrue(client.ping().store_ok)


class WorkerFailoverTest(unittest.TestCase):
    def test_worker_fails_over_and_registers_again(self) -> None:
        first = start_server(self)
        second = start_server(self)
        type_ = new_type("failover")
        worker = taskwire.Worker(f"{first.address},{second.address}", name="py-failover", grace=1)
        worker.register(type_, lambda job: f"{job.data} on {job.attempt}")
        self.addCleanup(worker.stop)
        worker.start()
        with taskwire.Client(first.address) as client:
            self.assertEqual(client.run(type_, "one", timeout=10).result, "one on 1")
        first.stop()
        with taskwire.Client(second.address) as client:
            wait_until(lambda: "py-failover" in [w.name for w in client.workers()], 10,
                       "the worker to register with the second server")
            self.assertEqual(client.run(type_, "two", timeout=10).result, "two on 1")

    def test_client_without_reconnect_fails_fast(self) -> None:
        server: Server = start_server(self)
        client = taskwire.Client(server.address, reconnect=False)
        self.addCleanup(client.close)
        server.stop()
        wait_until(lambda: not client.connected, 10, "the drop")
        with self.assertRaises(taskwire.ConnectionLostError):
            client.status("1")


if __name__ == "__main__":
    unittest.main()
