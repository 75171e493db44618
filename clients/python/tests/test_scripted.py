"""The library against a scripted server: TLS, auth, drops with a call in flight, revokes,
and the heartbeats' wire format."""
from __future__ import annotations

import os
import shutil
import ssl
import tempfile
import threading
import unittest
from pathlib import Path
from typing import Any, List
from unittest import mock

from tests.fake_server import FakeConnection, FakeServer, answer_basics, make_certificate
from tests.support import wait_until

import taskwire


def serve(case: unittest.TestCase, handler: Any, tls: Any = None) -> FakeServer:
    server = FakeServer(handler, tls)
    case.addCleanup(server.close)
    return server


@unittest.skipUnless(shutil.which("openssl"), "openssl is needed to make a test certificate")
class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = Path(tempfile.mkdtemp(prefix="taskwire-tls-"))
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.cert, key = make_certificate(cls.dir)
        cls.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cls.context.load_cert_chain(str(cls.cert), str(key))

    def echo(self, conn: FakeConnection, message: Any) -> None:
        if not answer_basics(conn, message):
            conn.reply(message, {"echo": message.get("params")})

    def test_verified_connection(self) -> None:
        server = serve(self, self.echo, self.context)
        with taskwire.Client(server.address("localhost"), tls=True, ca=str(self.cert)) as client:
            self.assertEqual(client.ping().server, "fake")
            big = "x" * (3 * 1024 * 1024)  # many TLS records, partial non-blocking writes
            self.assertEqual(client.call("echo", {"data": big})["echo"]["data"], big)

    def test_unknown_certificate_is_refused(self) -> None:
        server = serve(self, self.echo, self.context)
        with self.assertRaises(taskwire.ConnectError) as caught:
            taskwire.Client(server.address("localhost"), tls=True, connect_timeout=5)
        self.assertIn("certificate verify failed", str(caught.exception))

    def test_host_name_is_checked(self) -> None:
        server = serve(self, self.echo, self.context)
        with self.assertRaises(taskwire.ConnectError) as caught:
            taskwire.Client(server.address("127.0.0.1"), tls=True, ca=str(self.cert), connect_timeout=5)
        self.assertIn("TLS", str(caught.exception))

    def test_insecure_skip_verify(self) -> None:
        server = serve(self, self.echo, self.context)
        with taskwire.Client(server.address("127.0.0.1"), tls=True, insecure_skip_verify=True) as client:
            self.assertEqual(client.ping().store, "ok")

    def test_worker_over_tls(self) -> None:
        assigned = threading.Event()

        def handler(conn: FakeConnection, message: Any) -> None:
            answer_basics(conn, message)
            if message.get("method") == "worker.hello":
                conn.notify("task.assign", {"tasks": [
                    {"id": "1", "token": "5", "type": "t", "data": "tls", "reps": 1, "attempt": 1, "deadline": 0}]})
            elif message.get("method") == "worker.complete":
                conn.reply(message, {"accepted": [True]})
                assigned.set()

        server = serve(self, handler, self.context)
        worker = taskwire.Worker(server.address("localhost"), tls=True, ca=str(self.cert))
        worker.register("t", lambda job: job.data.upper())
        self.addCleanup(worker.stop)
        worker.start()
        self.assertTrue(assigned.wait(10))
        complete = [m for m in server.connections[0].received if m.get("method") == "worker.complete"]
        self.assertEqual(complete[0]["params"], {"items": [{"token": "5", "units": 1, "result": "TLS"}]})


class AuthTest(unittest.TestCase):
    def test_token_goes_first_on_every_connection(self) -> None:
        def handler(conn: FakeConnection, message: Any) -> None:
            if message.get("method") == "status" and conn.index == 0:
                conn.close()  # drop with the status call in flight: it is sent again
                return
            if not answer_basics(conn, message):
                conn.reply(message, {"id": message["params"]["id"], "status": "done", "type": "t", "data": 1})

        server = serve(self, handler)
        with taskwire.Client(server.address(), token="s3cret") as client:
            task = client.status("12")
        self.assertEqual((task.id, task.status), ("12", "done"))
        first, second = server.connections[0], server.connections[1]
        self.assertEqual(first.methods(), ["auth", "status"])
        self.assertEqual(second.methods(), ["auth", "status"])
        self.assertEqual(first.received[0]["params"], {"token": "s3cret"})

    def test_token_from_the_environment(self) -> None:
        server = serve(self, lambda conn, message: answer_basics(conn, message))
        with mock.patch.dict(os.environ, {"TASKWIRE_TOKEN": "from-env"}):
            with taskwire.Client(server.address()) as client:
                client.ping()
        self.assertEqual(server.connections[0].received[0]["params"], {"token": "from-env"})

    def test_refused_token(self) -> None:
        def handler(conn: FakeConnection, message: Any) -> None:
            conn.error(message, 3001, "invalid token", {"reason": "unknown"})

        server = serve(self, handler)
        with self.assertRaises(taskwire.AuthError) as caught:
            taskwire.Client(server.address(), token="wrong")
        self.assertEqual((caught.exception.code, caught.exception.data), (3001, {"reason": "unknown"}))
        self.assertIn("invalid token", str(caught.exception))

    def test_server_without_auth(self) -> None:
        server = serve(self, lambda conn, message: conn.error(message, -32601, "no such method: auth"))
        with self.assertRaises(taskwire.AuthError) as caught:
            taskwire.Client(server.address(), token="t")
        self.assertIn("does not support token authentication", str(caught.exception))


class DropTest(unittest.TestCase):
    def test_submit_in_flight_fails_and_the_client_reconnects(self) -> None:
        def handler(conn: FakeConnection, message: Any) -> None:
            if message.get("method") == "submit":
                conn.close()
            else:
                answer_basics(conn, message)

        server = serve(self, handler)
        with taskwire.Client(server.address()) as client:
            with self.assertRaises(taskwire.ConnectionLostError) as caught:
                client.submit("flip", "x")
            self.assertIn("may or may not have been accepted", str(caught.exception))
            self.assertEqual(client.ping().server, "fake")  # on a new connection
        self.assertEqual(len(server.connections), 2)

    def test_a_line_that_is_not_json_drops_the_connection(self) -> None:
        def handler(conn: FakeConnection, message: Any) -> None:
            if message.get("method") == "ping" and conn.index == 0:
                conn.send_raw(b"this is not json\n")
            else:
                answer_basics(conn, message)

        server = serve(self, handler)
        with taskwire.Client(server.address()) as client:
            self.assertEqual(client.ping().server, "fake")  # sent again on the second connection
        self.assertEqual([c.methods() for c in server.connections], [["ping"], ["ping"]])

    def test_server_error_with_an_unknown_code(self) -> None:
        server = serve(self, lambda conn, message: conn.error(message, 7777, "new in a later server", [1]))
        with taskwire.Client(server.address()) as client:
            with self.assertRaises(taskwire.TaskwireError) as caught:
                client.ping()
        self.assertIs(type(caught.exception), taskwire.TaskwireError)
        self.assertEqual((caught.exception.code, caught.exception.data), (7777, [1]))


class WorkerWireTest(unittest.TestCase):
    ASSIGN = {"id": "9", "token": "42", "type": "t", "data": "d", "reps": 1, "attempt": 3, "deadline": 0}

    def test_idle_pings_and_extends_while_running(self) -> None:
        release = threading.Event()
        self.addCleanup(release.set)

        def handler(conn: FakeConnection, message: Any) -> None:
            answer_basics(conn, message)
            method = message.get("method")
            if method == "worker.extend":
                conn.reply(message, {"accepted": [True] * len(message["params"]["tokens"])})
                release.set()
            elif method == "worker.complete":
                conn.reply(message, {"accepted": [True]})
            elif method == "ping" and conn.methods().count("ping") == 1:
                conn.notify("task.assign", {"tasks": [self.ASSIGN]})  # after the first idle ping

        server = serve(self, handler)
        worker = taskwire.Worker(server.address(), concurrency=2, name="wire")
        attempts: List[int] = []

        def job_handler(job: taskwire.Job) -> str:
            attempts.append(job.attempt)
            release.wait(10)  # until the lease was extended
            return "ok"

        worker.register("t", job_handler)
        self.addCleanup(worker.stop)
        worker.start()
        conn = server.connections[0]
        self.assertEqual(conn.received[0]["params"], {"types": ["t"], "concurrency": 2, "name": "wire"})
        server.wait_for(lambda: "worker.complete" in conn.methods())
        methods = conn.methods()
        # Idle: a ping notification (no id); running: worker.extend of the lease; then the report.
        self.assertEqual(methods[:2], ["worker.hello", "ping"])
        self.assertNotIn("id", conn.received[1])
        extend = next(m for m in conn.received if m.get("method") == "worker.extend")
        self.assertEqual(extend["params"], {"tokens": ["42"]})
        self.assertLess(methods.index("worker.extend"), methods.index("worker.complete"))
        self.assertEqual(attempts, [3])
        wait_until(lambda: worker.counts["done"] == 1, 5, "the report to be accepted")

    def test_revoked_lease_cancels_the_job_and_is_not_reported(self) -> None:
        started = threading.Event()
        jobs: List[taskwire.Job] = []

        def handler(conn: FakeConnection, message: Any) -> None:
            answer_basics(conn, message)
            if message.get("method") == "worker.hello":
                conn.notify("task.assign", {"tasks": [self.ASSIGN]})

        def job_handler(job: taskwire.Job) -> str:
            jobs.append(job)
            started.set()
            job.wait_cancelled(10)
            return "late"

        server = serve(self, handler)
        worker = taskwire.Worker(server.address())
        worker.register("t", job_handler)
        self.addCleanup(worker.stop)
        worker.start()
        self.assertTrue(started.wait(10))
        server.connections[0].notify("task.revoke", {"tokens": ["42"], "reason": "canceled"})
        wait_until(lambda: worker.running == 0, 5, "the handler to return")
        self.assertEqual((jobs[0].cancelled, jobs[0].cancel_reason), (True, "lease canceled"))
        methods = server.connections[0].methods()
        self.assertNotIn("worker.complete", methods)
        self.assertNotIn("worker.fail", methods)

    def test_progress_is_clamped(self) -> None:
        def handler(conn: FakeConnection, message: Any) -> None:
            answer_basics(conn, message)
            if message.get("method") == "worker.hello":
                conn.notify("task.assign", {"tasks": [self.ASSIGN]})
            elif message.get("method") == "worker.complete":
                conn.reply(message, {"accepted": [True]})

        def job_handler(job: taskwire.Job) -> None:
            job.progress(1.7)
            job.progress(-1)

        server = serve(self, handler)
        worker = taskwire.Worker(server.address())
        worker.register("t", job_handler)
        self.addCleanup(worker.stop)
        worker.start()
        conn = server.wait_for(lambda: server.connections and "worker.complete" in server.connections[0].methods()
                               and server.connections[0])
        progress = [m["params"]["progress"] for m in conn.received if m.get("method") == "worker.progress"]
        self.assertEqual(progress, [1.0, 0.0])


if __name__ == "__main__":
    unittest.main()
