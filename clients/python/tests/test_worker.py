"""Python workers against a real server: custom types, failures, progress, leases, stopping."""
from __future__ import annotations

import threading
import time
import unittest
import uuid
from typing import Any, List

from tests.support import ServerTestCase, run_cli, wait_until

import taskwire


def new_type(prefix: str) -> str:
    """A task type no other test's worker declares."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Hold:
    """A handler that runs until released (or 10 s pass), then returns the data."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.jobs: List[taskwire.Job] = []

    def __call__(self, job: taskwire.Job) -> Any:
        self.jobs.append(job)
        self.started.set()
        self.release.wait(10)
        return job.data


# Leases of 1 s (heartbeats every 333 ms), two attempts per task.
class WorkerTest(ServerTestCase):
    SERVER_ARGS = ("--max-attempts", "2", "--lease", "1")

    def test_custom_type_driven_by_the_node_cli(self) -> None:
        worker = self.worker(("upper", lambda job: job.data.upper()), name="py-upper")
        names = [w.name for w in self.client().workers()]
        self.assertIn("py-upper", names)
        out = run_cli("task", "upper", "hello", "--packet", port=self.server.port)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip().splitlines()[-1], "HELLO")
        wait_until(lambda: worker.counts["done"] == 1, 5, "the worker to count its report")

    def test_handler_that_raises_is_retried_then_failed(self) -> None:
        type_ = new_type("boom")
        attempts: List[int] = []

        def boom(job: taskwire.Job) -> None:
            attempts.append(job.attempt)
            raise ValueError(f"cannot handle {job.data}")

        self.worker((type_, boom))
        client = self.client()
        task = client.wait(client.submit(type_, "this"), timeout=20)
        self.assertEqual(task.status, "failed")
        self.assertEqual(task.error, "cannot handle this")
        self.assertEqual(task.attempts, 2)
        self.assertEqual(attempts, [1, 2])
        log = client.status(task.id, attempts=True).attempt_log
        assert log is not None
        self.assertEqual([(a.state, a.error) for a in log], [("failed", "cannot handle this")] * 2)
        assert log[0].ended_at is not None and log[1].started_at is not None
        backoff = (log[1].started_at - log[0].ended_at).total_seconds()
        self.assertGreaterEqual(backoff, 0.9, "the retry waited for the server's backoff (1 s)")
        # max_attempts reaches the wire as maxAttempts: one attempt, then failed.
        once = client.wait(client.submit(type_, "once", max_attempts=1), timeout=20)
        self.assertEqual((once.status, once.attempts), ("failed", 1))

    def test_a_result_json_cannot_carry_fails_the_attempt(self) -> None:
        type_ = new_type("badresult")
        self.worker((type_, lambda job: {1, 2}))
        client = self.client()
        task = client.wait(client.submit(type_, "x", max_attempts=1), timeout=20)
        self.assertEqual(task.status, "failed")
        self.assertIn("not JSON-serialisable", task.error or "")

    def test_progress_and_units(self) -> None:
        type_ = new_type("progress")
        half = threading.Event()

        def handler(job: taskwire.Job) -> Any:
            job.progress(0.5)
            half.wait(10)
            job.set_units(job.reps)
            return {"attempt": job.attempt, "reps": job.reps}

        self.worker((type_, handler))
        client = self.client()
        progress: List[Any] = []

        def on_update(task: taskwire.Task) -> None:
            progress.append(task.progress)
            if task.progress == 0.5:
                half.set()

        task = client.wait(client.submit(type_, "p", reps=3), timeout=20, on_update=on_update)
        self.assertIn(0.5, progress)
        self.assertEqual((task.status, task.result), ("done", {"attempt": 1, "reps": 3}))
        self.assertEqual((task.units_done, task.attempts), (3, 1))

    def test_runs_concurrency_tasks_at_once(self) -> None:
        type_ = new_type("parallel")
        barrier = threading.Barrier(3, timeout=10)
        self.worker((type_, lambda job: barrier.wait()), concurrency=3)
        client = self.client()
        ids = client.submit_many([(type_, n) for n in range(3)])
        tasks = [client.wait(i, timeout=20) for i in ids]
        self.assertEqual([t.status for t in tasks], ["done"] * 3)
        self.assertEqual(sorted(t.result for t in tasks), [0, 1, 2])  # each thread's barrier index

    def test_heartbeats_keep_leases_and_the_connection(self) -> None:
        type_ = new_type("long")
        worker = self.worker((type_, lambda job: time.sleep(2.5) or "slept"), name="py-long")
        client = self.client()
        task = client.wait(client.submit(type_, "x"), timeout=20)
        # Without worker.extend the 1 s lease would expire and the task run again.
        self.assertEqual((task.status, task.result, task.attempts), ("done", "slept", 1))
        wait_until(lambda: worker.counts["done"] == 1, 5, "the worker to count its report")
        self.assertEqual(worker.counts, {"done": 1, "failed": 0, "refused": 0})
        time.sleep(1.5)  # idle for over three heartbeats: only the idle pings keep it connected
        self.assertIn("py-long", [w.name for w in client.workers()])
        self.assertEqual(client.wait(client.submit(type_, "y"), timeout=20).attempts, 1)

    def test_cancel_and_wait_timeouts_while_a_task_is_held(self) -> None:
        type_ = new_type("hold")
        hold = Hold()
        self.worker((type_, hold), concurrency=1)
        client = self.client()
        running = client.submit(type_, "first")
        self.assertTrue(hold.started.wait(10))
        queued = client.submit(type_, "second")
        self.assertEqual(client.status(queued).status, "enqueued")
        canceled = client.cancel(queued)
        self.assertEqual(canceled.status, "canceled")
        self.assertEqual(client.wait(queued, timeout=5).status, "canceled")
        started = time.monotonic()
        with self.assertRaises(taskwire.TaskwireTimeoutError):
            client.wait(running, timeout=0.2)
        self.assertLess(time.monotonic() - started, 3)
        # A running task can be canceled too: its job is cancelled, its late result refused.
        self.assertEqual(client.cancel(running).status, "canceled")
        job = hold.jobs[0]
        wait_until(lambda: job.cancelled, 5, "the job to be cancelled")
        self.assertEqual(job.cancel_reason, "lease canceled")
        hold.release.set()
        self.assertEqual(client.wait(running, timeout=10).status, "canceled")
        with self.assertRaises(taskwire.TaskNotCancelableError) as caught:
            client.cancel(running)
        self.assertEqual(caught.exception.data["status"], "canceled")

    def test_close_wakes_a_waiting_call(self) -> None:
        type_ = new_type("hold")
        hold = Hold()
        self.addCleanup(hold.release.set)
        self.worker((type_, hold))
        client = taskwire.Client(self.server.address)
        task_id = client.submit(type_, "x")
        waiting = threading.Event()
        errors: List[BaseException] = []

        def waiter() -> None:
            try:
                client.wait(task_id, on_update=lambda task: waiting.set())
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        thread = threading.Thread(target=waiter)
        thread.start()
        self.assertTrue(waiting.wait(10), "the server pushed the current state: the wait is in")
        client.close()
        thread.join(5)
        self.assertFalse(thread.is_alive())
        self.assertEqual([type(e) for e in errors], [taskwire.ClientClosedError])

    def test_stop_past_the_grace_cancels_and_gives_the_task_back(self) -> None:
        type_ = new_type("stop")
        seen: List[taskwire.Job] = []
        started = threading.Event()

        def handler(job: taskwire.Job) -> str:
            seen.append(job)
            started.set()
            job.wait_cancelled(10)
            return "should not be reported"

        worker = self.worker((type_, handler), name="py-stop")
        client = self.client()
        task_id = client.submit(type_, "x")
        self.assertTrue(started.wait(10))
        began = time.monotonic()
        worker.stop(grace=0.3)
        self.assertLess(time.monotonic() - began, 3)
        self.assertTrue(worker.stopped)
        self.assertTrue(seen[0].cancelled and seen[0].is_cancelled())
        self.assertEqual(seen[0].cancel_reason, "worker shutting down")
        self.assertEqual(worker.counts["done"], 0)
        # The lease went back with the connection: another worker runs the task.
        self.worker((type_, lambda job: f"attempt {job.attempt}"), name="py-after")
        task = client.wait(task_id, timeout=20)
        self.assertEqual((task.status, task.result), ("done", "attempt 2"))
        log = client.status(task_id, attempts=True).attempt_log
        assert log is not None
        self.assertEqual([a.state for a in log], ["released", "done"])

    def test_declared_types_need_handlers(self) -> None:
        worker = self.worker(("a", lambda job: None), start=False, types=["a", "b"])
        with self.assertRaises(ValueError):
            worker.start()
        empty = taskwire.Worker(self.server.address)
        with self.assertRaises(ValueError):
            empty.start()

    def test_cannot_connect(self) -> None:
        from tests.test_client import free_port

        worker = taskwire.Worker(f"127.0.0.1:{free_port()}", connect_timeout=2)
        worker.register("x", lambda job: None)
        before = threading.active_count()
        with self.assertRaises(taskwire.ConnectError):
            worker.start()
        self.assertTrue(worker.stopped)
        wait_until(lambda: threading.active_count() <= before, 5, "the handler threads to end")

    def test_decorator(self) -> None:
        type_ = new_type("deco")
        worker = self.worker(start=False)

        @worker.handler(type_)
        def double(job: taskwire.Job) -> int:
            return int(job.data) * 2

        self.assertEqual(double.__name__, "double")
        worker.start()
        self.assertEqual(self.client().run(type_, 21, timeout=10).result, 42)


if __name__ == "__main__":
    unittest.main()
