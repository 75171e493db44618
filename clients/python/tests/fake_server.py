"""A scripted JSON-RPC server for the tests the real server cannot drive yet (TLS, auth)
or cannot time exactly (a drop with a given call in flight, a revoked lease)."""
from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple


class FakeConnection:
    """One accepted connection: what it received, and ways to answer."""

    def __init__(self, server: "FakeServer", sock: socket.socket, index: int) -> None:
        self.server = server
        self.sock = sock
        self.index = index
        self.received: List[Any] = []
        self._write = threading.Lock()

    def send(self, message: Any) -> None:
        """Sends one message as a line."""
        self.send_raw(json.dumps(message).encode() + b"\n")

    def send_raw(self, data: bytes) -> None:
        with self._write:
            try:
                self.sock.sendall(data)
            except OSError:
                pass

    def reply(self, request: Any, result: Any) -> None:
        """Answers ``request`` with ``result``."""
        self.send({"jsonrpc": "2.0", "id": request["id"], "result": result})

    def error(self, request: Any, code: int, message: str, data: Any = None) -> None:
        """Answers ``request`` with an error object."""
        error = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        self.send({"jsonrpc": "2.0", "id": request["id"], "error": error})

    def notify(self, method: str, params: Any) -> None:
        """Sends a notification."""
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self) -> None:
        """Drops the connection."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def methods(self) -> List[str]:
        """The methods received so far, in order (``-`` for a message without one)."""
        return [m.get("method", "-") if isinstance(m, dict) else "-" for m in list(self.received)]


Handler = Callable[[FakeConnection, Any], None]


class FakeServer:
    """Listens on 127.0.0.1; ``handler(conn, message)`` is called for every message received."""

    def __init__(self, handler: Handler, tls: Optional[ssl.SSLContext] = None) -> None:
        self.handler = handler
        self.tls = tls
        self.connections: List[FakeConnection] = []
        self.changed = threading.Condition()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def address(self, host: str = "127.0.0.1") -> str:
        return f"{host}:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()
                return  # the client refused our certificate
        with self.changed:
            conn = FakeConnection(self, sock, len(self.connections))
            self.connections.append(conn)
            self.changed.notify_all()
        buffer = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    message = json.loads(line)
                    with self.changed:
                        conn.received.append(message)
                        self.changed.notify_all()
                    self.handler(conn, message)
        except OSError:
            pass
        finally:
            sock.close()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Waits until ``predicate()`` (checked on each message or connection) is truthy."""
        with self.changed:
            if not self.changed.wait_for(predicate, timeout):
                raise AssertionError("the fake server did not see what the test waited for")
            return predicate()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for conn in list(self.connections):
            conn.close()


def answer_basics(conn: FakeConnection, message: Any) -> bool:
    """Answers ``auth``, ``ping`` and ``worker.hello`` like a server would; False for others."""
    method = message.get("method")
    if "id" not in message:
        return method == "ping"
    if method == "auth":
        conn.reply(message, {"ok": True})
    elif method == "ping":
        conn.reply(message, {"pong": True, "server": "fake", "store": "ok"})
    elif method == "worker.hello":
        conn.reply(message, {"workerId": "w1", "leaseMs": 3000, "heartbeatMs": 50})
    else:
        return False
    return True


def make_certificate(directory: Path) -> Tuple[Path, Path]:
    """A self-signed certificate for ``localhost`` (and its key), made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True, timeout=30,
    )
    return cert, key
