"""The README's examples run as written (against a real server)."""
from __future__ import annotations

import re
import subprocess
import sys
import unittest

from tests.support import CHILD_ENV, PY_ROOT, ServerTestCase, run_cli, spawn_python

README = (PY_ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def python(code: str, timeout: float = 30) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=CHILD_ENV)


class ReadmeTest(ServerTestCase):
    def block(self, start: str) -> str:
        found = [b for b in BLOCKS if b.startswith(start)]
        self.assertEqual(len(found), 1, f"one README block starting {start!r}")
        return found[0].replace("127.0.0.1:5000", self.server.address)

    def test_client_quick_start(self) -> None:
        out = python(self.block("import taskwire\n\nwith taskwire.Client"))
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(lines[:2], ["done olleh", "abbccc"])
        self.assertIn("processing", lines[2:])

    def test_worker_quick_start(self) -> None:
        code = self.block("import taskwire\n\nworker = taskwire.Worker")
        code = code.replace("worker.run()", "worker.start()\nprint('ready', flush=True)\nworker.run()")
        _, output = spawn_python(self, "-c", code)
        output.wait_for(lambda line: line == "ready", 15, "the worker to start")
        out = run_cli("task", "resize", '{"path":"a.png"}', "--packet", "--json", port=self.server.port)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('"width":320', out.stdout.replace(" ", ""))


if __name__ == "__main__":
    unittest.main()
