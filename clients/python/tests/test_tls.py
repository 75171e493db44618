"""The library against a real taskwire server serving TLS (``--tls-cert``/``--tls-key``), with a
self-signed certificate made by openssl for the test: verified by default, ``ca=`` to trust it."""
from __future__ import annotations

import shutil
import tempfile
import unittest
from pathlib import Path

from tests.fake_server import make_certificate
from tests.support import start_server

import taskwire


@unittest.skipUnless(shutil.which("openssl"), "openssl is needed to make a test certificate")
class RealTlsServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = Path(tempfile.mkdtemp(prefix="taskwire-tls-"))
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.cert, key = make_certificate(cls.dir)
        cls.server = start_server(cls, "--tls-cert", str(cls.cert), "--tls-key", str(key), cls=True)

    def address(self) -> str:
        return f"localhost:{self.server.port}"

    def test_client_runs_a_task_over_verified_tls(self) -> None:
        with taskwire.Client(self.address(), tls=True, ca=str(self.cert)) as client:
            self.assertEqual(client.run("flip", "hello", timeout=20).result, "olleh")

    def test_worker_over_tls(self) -> None:
        worker = taskwire.Worker(self.address(), tls=True, ca=str(self.cert))
        worker.register("py-tls", lambda job: job.data.upper())
        self.addCleanup(worker.stop)
        worker.start()
        with taskwire.Client(self.address(), tls=True, ca=str(self.cert)) as client:
            self.assertEqual(client.run("py-tls", "tls", timeout=20).result, "TLS")

    def test_certificate_not_trusted_is_refused(self) -> None:
        with self.assertRaises(taskwire.ConnectError) as caught:
            taskwire.Client(self.address(), tls=True, connect_timeout=5, reconnect=False)
        self.assertIn("certificate verify failed", str(caught.exception))

    def test_plain_client_on_the_tls_port_gets_nothing(self) -> None:
        with self.assertRaises(taskwire.TaskwireError):
            with taskwire.Client(self.address(), connect_timeout=5, reconnect=False, timeout=5) as client:
                client.ping()


if __name__ == "__main__":
    unittest.main()
