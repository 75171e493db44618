"""Operating the queue from Python against a real server: attempt timeouts, retry (one and
many), cancel of a running task, pause, resume and types."""
from __future__ import annotations

import unittest
from datetime import datetime, timezone

from tests.support import start_server, wait_until

import taskwire


class OperatorTest(unittest.TestCase):
    def test_attempt_timeout_then_retry(self) -> None:
        server = start_server(self, "--max-attempts", "1", delay_scale=1)
        with taskwire.Client(server.address) as client:
            task_id = client.submit("flip", "abc", attempt_timeout=0.03)
            failed = client.wait(task_id, timeout=20)
            self.assertEqual((failed.status, failed.error), ("failed", "timeout"))
            retried = client.retry(task_id)
            self.assertEqual(retried.status, "enqueued")
            again = client.wait(task_id, timeout=20)
            self.assertEqual((again.status, again.attempts), ("failed", 2))
            logged = client.status(task_id, attempts=True)
            assert logged.retries is not None and logged.attempt_log is not None
            self.assertEqual([a.state for a in logged.attempt_log], ["failed", "failed"])
            self.assertEqual(len(logged.retries), 1)
            self.assertEqual(logged.retries[0].was, "failed")
            self.assertRegex(logged.retries[0].by, r"^127\.0\.0\.1:\d+$")
            self.assertEqual(client.retry_many(type="flip", since=datetime(2999, 1, 1, tzinfo=timezone.utc)), 0)
            self.assertEqual(client.retry_many(type="flip"), 1)
            done = client.run("noop", None, timeout=20)
            with self.assertRaises(taskwire.TaskNotRetryableError) as caught:
                client.retry(done.id)
            self.assertEqual(caught.exception.data["status"], "done")

    def test_cancel_a_running_task(self) -> None:
        server = start_server(self, delay_scale=100)  # swap runs 500 s: it is still running
        with taskwire.Client(server.address) as client:
            task_id = client.submit("swap", "abc")
            wait_until(lambda: client.status(task_id).status == "processing", what="processing")
            self.assertEqual(client.cancel(task_id).status, "canceled")
            task = client.status(task_id, attempts=True)
            assert task.attempt_log is not None
            self.assertEqual([a.state for a in task.attempt_log], ["canceled"])
            with self.assertRaises(taskwire.TaskNotCancelableError):
                client.cancel(task_id)

    def test_pause_resume_types(self) -> None:
        server = start_server(self)
        with taskwire.Client(server.address) as client:
            self.assertTrue(client.pause("flip"))
            self.assertFalse(client.pause("flip"))
            task_id = client.submit("flip", "abc")
            flip = next(t for t in client.types() if t.type == "flip")
            self.assertTrue(flip.paused)
            self.assertEqual(flip.counts["enqueued"], 1)
            self.assertEqual(client.status(task_id).status, "enqueued")
            self.assertTrue(client.resume("flip"))
            self.assertEqual(client.wait(task_id, timeout=20).result, "cba")
            self.assertFalse(next(t for t in client.types() if t.type == "flip").paused)
            with self.assertRaises(taskwire.InvalidParamsError):
                client.pause("")


if __name__ == "__main__":
    unittest.main()
