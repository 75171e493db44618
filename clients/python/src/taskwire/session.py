"""The JSON-RPC session under Client and Worker: calls matched by id, reconnect and failover.

Any thread may call; each call waits on its own queue, which the connection's I/O thread
fills. After a drop, the session reconnects with backoff, trying the next address of the
list first; on each new connection the handshake (auth, then the owner's own step such as
``worker.hello``) goes before anything else, then the calls that were waiting are sent.
"""
from __future__ import annotations

import itertools
import logging
import queue
import random
import socket
import ssl
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from .address import Address
from .errors import (
    AuthError,
    ClientClosedError,
    ConnectError,
    ConnectionLostError,
    MethodNotFoundError,
    TaskwireError,
    TaskwireTimeoutError,
    error_from_wire,
)
from .framing import DEFAULT_MAX_LINE_BYTES, decode_message, encode_message
from .transport import Connection, backoff_delay, open_socket

__all__ = ["Session", "RESENDABLE", "AUTH_METHOD"]

log = logging.getLogger("taskwire")

#: Calls that are safe to send again on a new connection; the others fail when it drops.
RESENDABLE = frozenset({"wait", "status", "cancel", "ping", "workers"})

#: The method that presents a token (the security issue's; the one place to rename it).
AUTH_METHOD = "auth"

#: A handshake step: gets a function that makes one call on the new connection.
Handshake = Callable[[Callable[[str, Any], Any]], None]


class _Call:
    """One request until its answer: where it was sent, and the queue its caller reads."""

    __slots__ = ("id", "method", "line", "conn", "answers", "wait_id", "last_update", "handshake", "detached")

    def __init__(self, call_id: int, method: str, line: bytes, wait_id: Optional[str]) -> None:
        self.id = call_id
        self.method = method
        self.line = line
        #: The connection it was written to; None while it waits for one.
        self.conn: Optional[Connection] = None
        self.answers: "queue.SimpleQueue[Tuple[str, Any]]" = queue.SimpleQueue()
        #: The task id of a ``wait`` with updates (they are routed to it).
        self.wait_id = wait_id
        self.last_update: Optional[str] = None
        self.handshake = False
        #: Nobody waits for the answer (see Session.send).
        self.detached = False


class Session:
    """A JSON-RPC connection to one server of ``addresses`` at a time, shared by threads."""

    def __init__(
        self,
        addresses: Sequence[Address],
        *,
        tls: Optional[ssl.SSLContext] = None,
        token: Optional[str] = None,
        connect_timeout: float = 10.0,
        reconnect: bool = True,
        order: str = "ordered",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        handshake: Optional[Handshake] = None,
        on_notification: Optional[Callable[[str, Any], None]] = None,
        on_disconnect: Optional[Callable[[str, Optional[str]], None]] = None,
    ) -> None:
        if not addresses:
            raise ValueError("the server address list is empty")
        if order not in ("ordered", "random"):
            raise ValueError("order must be 'ordered' or 'random'")
        self.addresses: List[Address] = list(addresses)
        self._tls = tls
        self._token = token
        self._connect_timeout = connect_timeout
        self._reconnect = reconnect
        self._max_line_bytes = max_line_bytes
        self._handshake = handshake
        self._on_notification = on_notification
        self._on_disconnect = on_disconnect
        self._index = random.randrange(len(self.addresses)) if order == "random" else 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._calls: Dict[int, _Call] = {}
        self._waits: Dict[str, Set[_Call]] = {}
        self._conn: Optional[Connection] = None
        self._closed = threading.Event()
        #: Set once calls fail at once (the connection dropped for good, or auth was
        #: refused): makes the error for a call to a method.
        self._lost: Optional[Callable[[str], TaskwireError]] = None
        self._reconnector: Optional[threading.Thread] = None

    # --- connecting ----------------------------------------------------------------------

    def connect(self) -> None:
        """Connects to the first server of the list that accepts (from where ``order`` says).

        Raises :class:`ConnectError` naming every address tried, or :class:`AuthError`.
        """
        failures: List[Tuple[str, str]] = []
        n = len(self.addresses)
        for k in range(n):
            index = (self._index + k) % n
            try:
                self._open(index)
                return
            except AuthError:
                self.close()
                raise
            except (OSError, TaskwireError) as error:
                failures.append((str(self.addresses[index]), _reason(error)))
        self.close()
        if len(failures) == 1:
            address, why = failures[0]
            raise ConnectError(f"cannot connect to {address} ({why})", failures)
        listed = ", ".join(f"{address} ({why})" for address, why in failures)
        raise ConnectError(f"cannot connect to any of {listed}", failures)

    def _open(self, index: int) -> None:
        """Opens a connection to ``addresses[index]``, runs the handshake and makes it current."""
        address = self.addresses[index]
        conn = Connection(open_socket(address, self._connect_timeout, self._tls), address, self._max_line_bytes)
        conn.start(lambda line: self._on_line(conn, line), lambda reason: self._on_close(conn, reason))
        try:
            if self._token is not None:
                self._authenticate(conn)
            if self._handshake is not None:
                self._handshake(lambda method, params: self._handshake_call(conn, method, params))
        except BaseException:
            conn.close("handshake failed")
            raise
        with self._lock:
            if self._closed.is_set():
                conn.close()
                return
            if conn.closed:
                # It dropped after the handshake: its close was not this session's drop.
                raise ConnectionLostError("the handshake", str(address))
            self._conn = conn
            self._index = index
            waiting = sorted((c for c in self._calls.values() if c.conn is None), key=lambda c: c.id)
            for call in waiting:
                call.conn = conn
                conn.send(call.line)
        log.debug("taskwire: connected to %s", address)

    def _authenticate(self, conn: Connection) -> None:
        """Presents the token: the first call on every connection."""
        try:
            self._handshake_call(conn, AUTH_METHOD, {"token": self._token})
        except MethodNotFoundError as error:
            raise AuthError(
                error.code,
                f"the server at {conn.address} does not support token authentication "
                f"(it has no '{AUTH_METHOD}' method)",
                error.data,
            ) from error
        except (AuthError, ConnectionLostError, TaskwireTimeoutError, ClientClosedError):
            raise
        except TaskwireError as error:  # any other answer refuses the token
            raise AuthError(error.code, f"authentication refused: {error.message}", error.data) from error

    def _handshake_call(self, conn: Connection, method: str, params: Any) -> Any:
        call = self._new_call(method, params, None)
        call.handshake = True
        with self._lock:
            if self._closed.is_set():
                raise ClientClosedError(method)
            self._calls[call.id] = call
            call.conn = conn
        if not conn.send(call.line):
            self._forget(call)
            raise ConnectionLostError(method, str(conn.address))
        return self._await(call, self._connect_timeout, None)

    def _reconnect_loop(self) -> None:
        """Tries the servers from the one after the last, one round after another with backoff."""
        n = len(self.addresses)
        index = self._index
        attempt = 0
        while not self._closed.is_set():
            attempt += 1
            index = (index + 1) % n
            round_ = (attempt - 1) // n + 1
            delay = backoff_delay(round_) if (attempt - 1) % n == 0 else 0.0
            if self._closed.wait(delay):
                return
            try:
                self._open(index)
                return
            except AuthError as error:
                log.error("taskwire: %s; giving up", error)
                refused = error
                self._give_up(lambda method: AuthError(refused.code, refused.message, refused.data))
                return
            except (OSError, TaskwireError) as error:
                # A refused connection is expected while a server restarts; an error answer is not.
                level = logging.WARNING if getattr(error, "code", None) is not None else logging.INFO
                log.log(level, "taskwire: reconnect to %s failed: %s", self.addresses[index], _reason(error))

    # --- calls ---------------------------------------------------------------------------

    def call(
        self,
        method: str,
        params: Any = None,
        timeout: Optional[float] = None,
        on_update: Optional[Callable[[Any], None]] = None,
        wait_id: Optional[str] = None,
    ) -> Any:
        """Sends a request and returns its result; raises the server's error as an exception.

        Waits for a connection if there is none yet (within ``timeout``). With ``wait_id``
        (a ``wait`` with updates), ``on_update`` gets each ``task.update`` for that task
        on this thread.
        """
        call = self._new_call(method, params, wait_id)
        with self._lock:
            if self._closed.is_set():
                raise ClientClosedError(method)
            if self._lost is not None:
                raise self._lost(method)
            self._calls[call.id] = call
            if wait_id is not None:
                self._waits.setdefault(wait_id, set()).add(call)
            if self._conn is not None:
                call.conn = self._conn
                self._conn.send(call.line)
        return self._await(call, timeout, on_update)

    def send(self, method: str, params: Any = None) -> None:
        """Sends a request without waiting for its answer (an error answer is logged).

        Unlike a notification it is queued while there is no connection, and sent once
        there is one, after the handshake. If the connection drops first it is dropped.
        """
        call = self._new_call(method, params, None)
        call.detached = True
        with self._lock:
            if self._closed.is_set() or self._lost is not None:
                return
            self._calls[call.id] = call
            if self._conn is not None:
                call.conn = self._conn
                self._conn.send(call.line)

    def notify(self, method: str, params: Any = None) -> bool:
        """Sends a notification (no answer); returns False, sending nothing, while disconnected."""
        message: Dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        line = encode_message(message)
        conn = self._conn
        return conn.send(line) if conn is not None else False

    def _new_call(self, method: str, params: Any, wait_id: Optional[str]) -> _Call:
        call_id = next(self._ids)
        message: Dict[str, Any] = {"jsonrpc": "2.0", "id": call_id, "method": method}
        if params is not None:
            message["params"] = params
        return _Call(call_id, method, encode_message(message), wait_id)

    def _await(
        self, call: _Call, timeout: Optional[float], on_update: Optional[Callable[[Any], None]]
    ) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    kind, value = call.answers.get(timeout=remaining)
                except queue.Empty:
                    raise self._timeout(call, timeout) from None
                if kind == "update":
                    if on_update is not None:
                        on_update(value)
                    continue
                if kind == "error":
                    raise value
                return value
        finally:
            self._forget(call)

    def _timeout(self, call: _Call, timeout: Optional[float]) -> TaskwireTimeoutError:
        where = str(call.conn.address) if call.conn is not None else "the server (not connected)"
        text = f"no answer to {call.method} from {where} within {timeout:g} s"
        if call.method in ("submit", "submitMany", "run") and call.conn is not None:
            text += ": the task may or may not have been accepted"
        return TaskwireTimeoutError(text, call.method)

    def _forget(self, call: _Call) -> None:
        with self._lock:
            self._calls.pop(call.id, None)
            if call.wait_id is not None:
                waits = self._waits.get(call.wait_id)
                if waits is not None:
                    waits.discard(call)
                    if not waits:
                        del self._waits[call.wait_id]

    # --- the I/O thread's side -----------------------------------------------------------

    def _on_line(self, conn: Connection, line: bytes) -> None:
        try:
            message = decode_message(line)
        except ValueError:
            # The stream can no longer be trusted; a new connection starts clean.
            conn.close("the server sent a line that is not UTF-8 JSON")
            return
        for item in message if isinstance(message, list) else [message]:
            if isinstance(item, dict):
                self._on_message(conn, item)

    def _on_message(self, conn: Connection, message: Dict[str, Any]) -> None:
        if "id" not in message and isinstance(message.get("method"), str):
            self._on_server_notification(message["method"], message.get("params"))
            return
        call_id = message.get("id")
        with self._lock:
            call = self._calls.pop(call_id, None) if isinstance(call_id, int) else None
        if call is None:
            if call_id is None and "error" in message:
                # Tied to no request, e.g. a line over the server's limit; it may close next.
                conn.server_error = str(error_from_wire(message["error"]))
                log.warning("taskwire: server error: %s", conn.server_error)
            return  # an answer to a call given up on (timed out)
        if call.detached:
            if "error" in message:
                log.info("taskwire: %s failed: %s", call.method, error_from_wire(message["error"]))
            return
        if "error" in message:
            call.answers.put(("error", error_from_wire(message["error"])))
        else:
            call.answers.put(("result", message.get("result")))

    def _on_server_notification(self, method: str, params: Any) -> None:
        if method == "task.update":
            task = params.get("task") if isinstance(params, dict) else None
            if isinstance(task, dict):
                self._route_update(task)
            return
        if self._on_notification is not None:
            try:
                self._on_notification(method, params)
            except Exception:  # noqa: BLE001 - the owner's bug must not kill the I/O thread
                log.exception("taskwire: error handling the %s notification", method)

    def _route_update(self, task: Dict[str, Any]) -> None:
        key = "|".join(str(task.get(k)) for k in ("status", "progress", "unitsDone", "updatedAt"))
        with self._lock:
            waits = list(self._waits.get(str(task.get("id")), ()))
            for call in waits:
                if call.last_update == key:
                    continue  # a repeat, e.g. the current state after a re-sent wait
                call.last_update = key
                call.answers.put(("update", task))

    def _on_close(self, conn: Connection, reason: Optional[str]) -> None:
        address = str(conn.address)
        said = f"the server said: {conn.server_error}" if conn.server_error else None
        why = reason or said or "closed by the server"
        with self._lock:
            current = conn is self._conn
            if current:
                self._conn = None
            for call in list(self._calls.values()):
                if call.conn is not conn:
                    continue
                call.conn = None
                keep = current and self._reconnect and not call.handshake and call.method in RESENDABLE
                if not keep:
                    del self._calls[call.id]
                    call.answers.put(("error", ConnectionLostError(call.method, address, why)))
            if not current or self._closed.is_set():
                return
            if self._reconnect:
                self._reconnector = threading.Thread(
                    target=self._reconnect_loop, name="taskwire-reconnect", daemon=True
                )
                self._reconnector.start()
        log.info("taskwire: connection to %s lost: %s", address, why)
        if not self._reconnect:
            self._give_up(lambda method: ConnectionLostError(method, address, why))
        if self._on_disconnect is not None:
            try:
                self._on_disconnect(address, reason)
            except Exception:  # noqa: BLE001
                log.exception("taskwire: error in the disconnect callback")

    def _give_up(self, error: Callable[[str], TaskwireError]) -> None:
        """From now on every call fails with ``error(method)``; the waiting ones fail now."""
        with self._lock:
            self._lost = error
            waiting = [c for c in self._calls.values() if c.conn is None]
            for call in waiting:
                del self._calls[call.id]
                call.answers.put(("error", error(call.method)))

    # --- state ---------------------------------------------------------------------------

    @property
    def address(self) -> Address:
        """The server connected to (while disconnected: the last one)."""
        return self.addresses[self._index]

    @property
    def connected(self) -> bool:
        """Whether a connection is up right now."""
        return self._conn is not None

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed.is_set()

    @property
    def lost(self) -> Optional[TaskwireError]:
        """Why the session gave up (no reconnect, or auth refused), if it did."""
        return self._lost("the next call") if self._lost is not None else None

    def close(self) -> None:
        """Closes the connection; pending calls fail with :class:`ClientClosedError`. Idempotent."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            conn, self._conn = self._conn, None
            calls = list(self._calls.values())
            self._calls.clear()
            self._waits.clear()
        for call in calls:
            call.answers.put(("error", ClientClosedError(call.method)))
        if conn is not None:
            conn.close()
            conn.join(2.0)
        reconnector = self._reconnector
        if reconnector is not None and reconnector is not threading.current_thread():
            reconnector.join(2.0)


def _reason(error: BaseException) -> str:
    """A short reason for a failed connection attempt, e.g. ``ECONNREFUSED``."""
    if isinstance(error, ConnectionRefusedError):
        return "ECONNREFUSED"
    if isinstance(error, (socket.timeout, TimeoutError)) and not isinstance(error, TaskwireError):
        return "ETIMEDOUT"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS: certificate verify failed: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS: {error.reason or error}"
    return str(error) or type(error).__name__
