"""The transport: opening a TCP (or TLS) socket, and one I/O thread per connection.

One thread owns each socket and does all its reads and writes: callers only queue lines
and wake it. (An SSL object must not be read and written from two threads at once.)
"""
from __future__ import annotations

import logging
import random
import selectors
import socket
import ssl
import threading
from typing import Callable, List, Optional

from .address import Address
from .framing import DEFAULT_MAX_LINE_BYTES, FrameTooLongError, LineFramer

__all__ = ["Connection", "open_socket", "make_tls_context", "backoff_delay"]

log = logging.getLogger("taskwire")

_READ_SIZE = 64 * 1024
#: About this much of the outbox goes to one send() call.
_WRITE_CHUNK = 256 * 1024

_INITIAL_BACKOFF = 0.1
_MAX_BACKOFF = 5.0


def backoff_delay(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds before reconnect round ``attempt`` (1-based): 0.1 s doubling to 5 s, ±20 %."""
    base = min(_MAX_BACKOFF, _INITIAL_BACKOFF * 2.0 ** max(0, attempt - 1))
    return min(_MAX_BACKOFF, base * (0.8 + 0.4 * rand()))


def make_tls_context(ca: Optional[str] = None, insecure_skip_verify: bool = False) -> ssl.SSLContext:
    """A client context that verifies the server's certificate and host name.

    ``ca`` is a PEM file of the certificates to trust (default: the system's).
    ``insecure_skip_verify`` turns all verification off: anyone on the path can then
    read and change the traffic. Use it only against a test server.
    """
    context = ssl.create_default_context(cafile=ca)
    if insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def open_socket(address: Address, timeout: float, tls: Optional[ssl.SSLContext]) -> socket.socket:
    """A connected socket (TLS handshake done when ``tls`` is given); raises ``OSError``."""
    sock = socket.create_connection((address.host, address.port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=address.host)
    except BaseException:
        sock.close()
        raise
    return sock


class Connection:
    """A connected socket that sends and receives newline-delimited messages."""

    def __init__(
        self, sock: socket.socket, address: Address, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    ) -> None:
        self.address = address
        #: The last error the server sent tied to no request (it explains a close after it).
        self.server_error: Optional[str] = None
        self._sock = sock
        self._on_line: Callable[[bytes], None] = lambda line: None
        self._on_close: Callable[[Optional[str]], None] = lambda reason: None
        self._framer = LineFramer(max_line_bytes)
        self._lock = threading.Lock()
        self._outbox: List[bytes] = []
        # The bytes of the send in progress: an SSL write must be retried with the same data.
        self._chunk = memoryview(b"")
        self._read_wants_write = False
        self._closing = False
        self._reason: Optional[str] = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        sock.setblocking(False)
        self._thread = threading.Thread(
            target=self._run, name=f"taskwire-io {address}", daemon=True
        )

    def start(self, on_line: Callable[[bytes], None], on_close: Callable[[Optional[str]], None]) -> None:
        """Starts the I/O thread.

        ``on_line(line)`` gets each non-empty line and ``on_close(reason)`` is called once
        when the connection ends (``reason`` is ``None`` for a clean close); both run on the
        I/O thread and must not block.
        """
        self._on_line = on_line
        self._on_close = on_close
        self._thread.start()

    @property
    def closed(self) -> bool:
        """Whether close() was called or the connection ended."""
        return self._closing

    def send(self, line: bytes) -> bool:
        """Queues one line (ending in ``\\n``); returns False if the connection is closed."""
        with self._lock:
            if self._closing:
                return False
            self._outbox.append(line)
        self._wake()
        return True

    def close(self, reason: Optional[str] = None) -> None:
        """Drops the connection (lines not yet written are dropped too); safe to call twice."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            self._reason = reason
        self._wake()

    def join(self, timeout: float) -> None:
        """Waits for the I/O thread to end (not when called from it)."""
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # a wake-up is already pending, or the thread is gone

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        reason: Optional[str] = None
        try:
            selector.register(self._wake_r, selectors.EVENT_READ)
            selector.register(self._sock, selectors.EVENT_READ)
            want_write = False
            mask = selectors.EVENT_READ
            while not self._closing:
                wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if want_write else 0)
                if wanted != mask:
                    mask = selector.modify(self._sock, wanted).events
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        self._drain_wake()
                if self._closing:
                    break
                eof = self._read()
                if eof is not None:
                    reason = eof or None
                    break
                want_write = self._write() or self._read_wants_write
        except (OSError, ValueError) as error:
            reason = str(error) or type(error).__name__
        except Exception as error:  # noqa: BLE001 - a bug in a callback: drop, do not hang
            log.exception("taskwire: error on the connection to %s", self.address)
            reason = f"internal error: {error}"
        finally:
            with self._lock:
                self._closing = True
                self._outbox = []
                reason = self._reason or reason
            selector.close()
            for s in (self._sock, self._wake_r, self._wake_w):
                try:
                    s.close()
                except OSError:
                    pass
            try:
                self._on_close(reason)
            except Exception:  # noqa: BLE001 - a callback bug must not go unseen
                log.exception("taskwire: error in a connection's close callback")

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _read(self) -> Optional[str]:
        """Reads what is there; returns ``None`` to go on, or why the connection ended."""
        self._read_wants_write = False
        while not self._closing:
            try:
                data = self._sock.recv(_READ_SIZE)
            except ssl.SSLWantWriteError:
                self._read_wants_write = True  # TLS needs to write before it can read on
                return None
            except (ssl.SSLWantReadError, BlockingIOError, InterruptedError):
                return None
            if not data:
                return ""  # the server closed the connection
            try:
                lines = self._framer.push(data)
            except FrameTooLongError as error:
                return f"the server sent a {error}"
            for line in lines:
                if self._closing:
                    break
                self._on_line(line)
        return None

    def _write(self) -> bool:
        """Writes what it can; returns True if it must wait until the socket is writable."""
        while True:
            if not self._chunk:
                with self._lock:
                    if not self._outbox:
                        return False
                    # Up to about _WRITE_CHUNK bytes of whole lines per send.
                    size, count = 0, 0
                    while count < len(self._outbox) and (count == 0 or size < _WRITE_CHUNK):
                        size += len(self._outbox[count])
                        count += 1
                    self._chunk = memoryview(b"".join(self._outbox[:count]))
                    del self._outbox[:count]
            try:
                sent = self._sock.send(self._chunk)
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError, InterruptedError):
                return True
            self._chunk = self._chunk[sent:]
