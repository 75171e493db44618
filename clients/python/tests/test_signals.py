"""SIGTERM/SIGINT of a Python worker process while a task runs: the task is never lost."""
from __future__ import annotations

import signal
import subprocess
import time
import unittest

from tests.support import PY_ROOT, LineReader, ServerTestCase, spawn_python, wait_until
from tests.test_worker import new_type

import taskwire

SCRIPT = PY_ROOT / "tests" / "worker_script.py"


class SignalTest(ServerTestCase):
    def start_task(self, name: str, grace: float, seconds: float) -> "tuple[subprocess.Popen[str], LineReader, str]":
        """A worker process running one task (each takes ``seconds``); returns it, its output, the id."""
        type_ = new_type("sig")
        proc, output = spawn_python(self, str(SCRIPT), self.server.address, type_, name, str(grace), str(seconds))
        client = self.client()
        wait_until(lambda: name in [w.name for w in client.workers()], 15, f"{name} to register")
        task_id = client.submit(type_, name)
        output.wait_for(lambda line: line == f"started {task_id}", 10, "the task to start")
        return proc, output, task_id

    def test_sigterm_lets_the_running_task_finish_within_the_grace(self) -> None:
        proc, output, task_id = self.start_task("py-sig-a", grace=10, seconds=1.0)
        proc.send_signal(signal.SIGTERM)
        client = self.client()
        task = client.wait(task_id, timeout=20)
        self.assertEqual((task.status, task.result, task.attempts), ("done", "PY-SIG-A", 1))
        self.assertEqual(proc.wait(10), 0)
        output.wait_for(lambda line: line == "stopped", 5, "'stopped'")
        log = client.status(task_id, attempts=True).attempt_log
        assert log is not None
        self.assertEqual([(a.state, a.worker.split("@")[0]) for a in log], [("done", "py-sig-a")])

    def test_sigterm_past_the_grace_gives_the_task_back(self) -> None:
        proc, _, task_id = self.start_task("py-sig-b", grace=0.3, seconds=60)
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)
        self.assertLess(time.monotonic() - began, 5, "a stuck handler does not keep the process alive")
        type_ = self.client().status(task_id).type
        other = taskwire.Worker(self.server.address, name="py-sig-other")
        other.register(type_, lambda job: f"{job.data} by another")
        self.addCleanup(other.stop)
        other.start()
        client = self.client()
        task = client.wait(task_id, timeout=20)
        self.assertEqual((task.status, task.result), ("done", "py-sig-b by another"))
        log = client.status(task_id, attempts=True).attempt_log
        assert log is not None
        self.assertEqual([a.state for a in log], ["released", "done"])

    def test_a_second_signal_exits_at_once(self) -> None:
        proc, output, task_id = self.start_task("py-sig-c", grace=30, seconds=60)
        proc.send_signal(signal.SIGTERM)
        output.wait_for(lambda line: "stopping" in line, 10, "the first signal's log line")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(5), 128 + signal.SIGTERM)
        # The connection closed with the process: the task is enqueued again, not lost.
        client = self.client()
        wait_until(lambda: client.status(task_id).status == "enqueued", 10, "the task back in the queue")


if __name__ == "__main__":
    unittest.main()
