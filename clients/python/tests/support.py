"""Test helpers: a real taskwire server process on a free port, and waiting with deadlines."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence

PY_ROOT = Path(__file__).resolve().parent.parent
REPO_ROOT = PY_ROOT.parent.parent
SRC = PY_ROOT / "src"
MAIN_JS = REPO_ROOT / "dist" / "cli" / "main.js"

# The tests use the package from the source tree (test_install checks an installed copy).
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

import taskwire  # noqa: E402  (needs the path above)

#: Environment for child Python processes: the source tree on their path.
CHILD_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(PY_ROOT)]))
for _name in ("TASKWIRE_HOST", "TASKWIRE_PORT", "TASKWIRE_TOKEN"):
    CHILD_ENV.pop(_name, None)


def node() -> str:
    """The node binary; fails the test run with a clear message without it or without dist/."""
    binary = shutil.which("node")
    if binary is None:
        raise RuntimeError("node is not on PATH: the Python tests run against the real server")
    if not MAIN_JS.exists():
        raise RuntimeError(f"{MAIN_JS} is missing: run `npm run build` first")
    return binary


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Polls ``predicate`` until it returns something truthy; fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class LineReader:
    """Reads a child's stdout on a thread; tests wait for a line matching a predicate."""

    def __init__(self, stream: Any) -> None:
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        try:
            for raw in stream:
                with self._cond:
                    self.lines.append(raw.rstrip("\n"))
                    self._cond.notify_all()
        except (OSError, ValueError):
            pass  # closed under us: the process is gone
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10.0, what: str = "a line") -> str:
        """The first line (old or new) that matches; AssertionError on timeout or EOF."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = len(self.lines)
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    tail = "\n".join(self.lines[-20:])
                    raise AssertionError(f"no {what} (eof={self._eof}); output:\n{tail}")
                self._cond.wait(remaining)

    def text(self) -> str:
        """Everything read so far."""
        with self._cond:
            return "\n".join(self.lines)


class Server:
    """A taskwire server process on 127.0.0.1 with its own database in a temp directory."""

    def __init__(self, *args: str, port: int = 0, delay_scale: float = 0.01) -> None:
        self.args = list(args)
        self.delay_scale = delay_scale
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="taskwire-pytest-")
        self.db = os.path.join(self.dir, "tasks.db")
        self.proc: Optional[subprocess.Popen[str]] = None
        self.output: Optional[LineReader] = None

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "Server":
        """Starts the server (again, after a stop) and returns once it logged that it listens."""
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        command = [
            node(), str(MAIN_JS), "server", "-H", "127.0.0.1", "-P", str(self.port),
            "--db", self.db, "--delay-scale", str(self.delay_scale), *self.args,
        ]
        self.proc = subprocess.Popen(
            command, cwd=str(REPO_ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=CHILD_ENV,
        )
        self.output = LineReader(self.proc.stdout)
        line = self.output.wait_for(lambda l: '"msg":"listening"' in l, timeout, "listening line")
        self.port = int(json.loads(line)["port"])
        return self

    def stop(self) -> None:
        """Stops it gracefully (SIGTERM), killing it if it does not exit within 10 s."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def kill(self) -> None:
        """Kills it (SIGKILL): a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def cleanup(self) -> None:
        """Stops it and removes its directory."""
        try:
            self.stop()
        finally:
            if self.proc is not None and self.proc.stdout is not None:
                self.proc.stdout.close()
            shutil.rmtree(self.dir, ignore_errors=True)


def start_server(case: Any, *args: str, delay_scale: float = 0.01, cls: bool = False) -> Server:
    """Starts a server that is stopped at the test's (or with ``cls``, the class's) end."""
    server = Server(*args, delay_scale=delay_scale)
    if cls:
        case.addClassCleanup(server.cleanup)
    else:
        case.addCleanup(server.cleanup)
    return server.start()


def spawn_python(case: unittest.TestCase, *args: str) -> "tuple[subprocess.Popen[str], LineReader]":
    """Starts ``python ARGS`` (the package on its path), killed at the test's end."""
    proc = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=CHILD_ENV,
    )

    def reap() -> None:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        assert proc.stdout is not None
        proc.stdout.close()

    case.addCleanup(reap)
    return proc, LineReader(proc.stdout)


def run_cli(*args: str, port: int, timeout: float = 20.0) -> "subprocess.CompletedProcess[str]":
    """Runs the Node CLI (``node dist/cli/main.js ARGS -P PORT``)."""
    return subprocess.run(
        [node(), str(MAIN_JS), *args, "-P", str(port)], cwd=str(REPO_ROOT), capture_output=True,
        text=True, timeout=timeout, env=CHILD_ENV,
    )


class ServerTestCase(unittest.TestCase):
    """A test class sharing one server; ``SERVER_ARGS`` are its extra flags."""

    SERVER_ARGS: Sequence[str] = ()
    server: Server

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = start_server(cls, *cls.SERVER_ARGS, cls=True)

    def client(self, **kwargs: Any) -> taskwire.Client:
        """A client of the class's server, closed at the test's end."""
        client = taskwire.Client(self.server.address, **kwargs)
        self.addCleanup(client.close)
        return client

    def worker(self, *handlers: Any, start: bool = True, **kwargs: Any) -> taskwire.Worker:
        """A worker of the class's server with ``(type, fn)`` handlers, stopped at the test's end."""
        kwargs.setdefault("grace", 2.0)
        worker = taskwire.Worker(self.server.address, **kwargs)
        for type_, fn in handlers:
            worker.register(type_, fn)
        self.addCleanup(worker.stop)
        if start:
            worker.start()
        return worker
