"""The client: submit tasks, look at them, wait for their pushed results."""
from __future__ import annotations

import os
import re
import ssl
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .address import Address, resolve_addresses
from .framing import DEFAULT_MAX_LINE_BYTES
from .models import Pong, Task, TypeInfo, WorkerInfo
from .session import Session
from .transport import make_tls_context

__all__ = ["Client", "wire_options", "AddressArg", "TlsArg"]

#: ``"host:port,host2"``, or a list of ``(host, port)`` pairs.
AddressArg = Union[str, Sequence[Tuple[str, int]], None]
#: ``True`` for TLS with the default checks, or a ready ``ssl.SSLContext``.
TlsArg = Union[bool, ssl.SSLContext]

_DEFAULT: Any = object()
_SNAKE = re.compile(r"_([a-z0-9])")


def _camel(name: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc)  # a naive datetime is local time
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def wire_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    """Submit options as the wire names them: ``max_attempts`` -> ``maxAttempts``.

    Options set to ``None`` are left out; a ``datetime`` goes as an ISO 8601 UTC string.
    Names the library does not know are passed through: the server validates them.
    """
    return {_camel(k): _wire_value(v) for k, v in options.items() if v is not None}


def _spec(type: str, data: Any, options: Mapping[str, Any]) -> Dict[str, Any]:
    options = dict(options)
    attempt_timeout = options.pop("attempt_timeout", None)
    spec = wire_options(options)
    if attempt_timeout is not None:
        # Seconds here, milliseconds on the wire (the submit option ``timeout``).
        spec["timeout"] = max(1, round(float(attempt_timeout) * 1000))
    spec["type"] = type
    spec["data"] = data
    return spec


def _spec_of(item: Any) -> Dict[str, Any]:
    if isinstance(item, Mapping):
        options = dict(item)
        try:
            type_, data = options.pop("type"), options.pop("data")
        except KeyError as missing:
            raise ValueError(f"a task to submit needs {missing}: {item!r}") from None
        return _spec(type_, data, options)
    if isinstance(item, (tuple, list)) and len(item) in (2, 3):
        options = item[2] if len(item) == 3 else {}
        return _spec(item[0], item[1], options)
    raise ValueError(f"expected {{'type', 'data', ...}} or (type, data[, options]), not {item!r}")


def tls_context(tls: TlsArg, ca: Optional[str], insecure_skip_verify: bool) -> Optional[ssl.SSLContext]:
    """The TLS context for ``tls=``/``ca=``/``insecure_skip_verify=``, or None for plain TCP."""
    if isinstance(tls, ssl.SSLContext):
        return tls
    if not tls:
        if ca is not None or insecure_skip_verify:
            raise ValueError("ca= and insecure_skip_verify= need tls=True")
        return None
    return make_tls_context(ca, insecure_skip_verify)


def addresses_of(address: AddressArg, port: Optional[int]) -> List[Address]:
    """The address list from a string (or ``TASKWIRE_HOST``/``TASKWIRE_PORT``) or pairs."""
    if address is None or isinstance(address, str):
        return resolve_addresses(address, port)
    return [Address(str(host), int(p)) for host, p in address]


def token_of(token: Optional[str]) -> Optional[str]:
    """``token``, else ``TASKWIRE_TOKEN`` when set and not empty."""
    return token if token is not None else (os.environ.get("TASKWIRE_TOKEN") or None)


def new_session(
    address: AddressArg,
    port: Optional[int],
    token: Optional[str],
    tls: TlsArg,
    ca: Optional[str],
    insecure_skip_verify: bool,
    **options: Any,
) -> Session:
    """A (not yet connected) Session from the arguments Client and Worker share."""
    return Session(
        addresses_of(address, port),
        tls=tls_context(tls, ca, insecure_skip_verify),
        token=token_of(token),
        **options,
    )


class Client:
    """A connection to a taskwire server, safe to share between threads.

    ``address`` is ``"host[:port][,host[:port]...]"`` (IPv6 in brackets); the servers of a
    list are tried in turn (they must share one database). Without it, ``TASKWIRE_HOST``
    and ``TASKWIRE_PORT`` are read, as by the CLI, then ``127.0.0.1:5000``. ``timeout``
    bounds every call but ``wait``/``run`` (which take their own); ``connect_timeout``
    bounds each connection attempt. Connecting happens here: raises
    :class:`~taskwire.ConnectError` if no server accepts.
    """

    def __init__(
        self,
        address: AddressArg = None,
        *,
        port: Optional[int] = None,
        token: Optional[str] = None,
        tls: TlsArg = False,
        ca: Optional[str] = None,
        insecure_skip_verify: bool = False,
        timeout: Optional[float] = 30.0,
        connect_timeout: float = 10.0,
        reconnect: bool = True,
        order: str = "ordered",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        self.timeout = timeout
        self._session = new_session(
            address,
            port,
            token,
            tls,
            ca,
            insecure_skip_verify,
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            order=order,
            max_line_bytes=max_line_bytes,
        )
        self._session.connect()

    # --- tasks ---------------------------------------------------------------------------

    def submit(self, type: str, data: Any, **options: Any) -> str:
        """Submits a task; returns its id once the server has committed it.

        ``options`` are the server's submit options (``reps``, ``max_attempts``, and the
        scheduling ones as the server gains them), in snake_case or the wire's camelCase.
        ``attempt_timeout`` (seconds) bounds how long one attempt may run: past it the
        attempt fails with the error ``timeout`` and retries apply.
        """
        return str(self.call("submit", _spec(type, data, options))["id"])

    def submit_many(self, tasks: Iterable[Any]) -> List[str]:
        """Submits several tasks in one request, all or nothing; returns their ids in order.

        Each task is ``{"type": ..., "data": ..., **options}`` or ``(type, data[, options])``.
        """
        specs = [_spec_of(item) for item in tasks]
        return [str(i) for i in self.call("submitMany", {"tasks": specs})["ids"]]

    def run(self, type: str, data: Any, *, timeout: Optional[float] = None, **options: Any) -> Task:
        """Submits a task and returns it once finished (done, failed or canceled): one round trip.

        If the connection drops meanwhile this raises :class:`~taskwire.ConnectionLostError`
        (the task may have been accepted, and its id is unknown): use ``submit`` + ``wait``
        when you must be able to resume.
        """
        return Task.from_wire(self._session.call("run", _spec(type, data, options), timeout))

    def status(self, id: Union[str, int], attempts: bool = False) -> Task:
        """A task's current state; ``attempts=True`` fills ``attempt_log``."""
        params: Dict[str, Any] = {"id": str(id)}
        if attempts:
            params["attempts"] = True
        return Task.from_wire(self.call("status", params))

    def wait(
        self,
        id: Union[str, int],
        timeout: Optional[float] = None,
        on_update: Optional[Callable[[Task], None]] = None,
    ) -> Task:
        """Returns the task once it is done, failed or canceled; the server pushes it.

        ``on_update`` is called on this thread with each change (status, progress) until
        then. A wait survives a reconnection (it is sent again). On ``timeout`` it raises
        :class:`~taskwire.TaskwireTimeoutError`; the task keeps running.
        """
        task_id = str(id)
        if on_update is None:
            return Task.from_wire(self._session.call("wait", {"id": task_id}, timeout))
        result = self._session.call(
            "wait",
            {"id": task_id, "updates": True},
            timeout,
            on_update=lambda view: on_update(Task.from_wire(view)),
            wait_id=task_id,
        )
        return Task.from_wire(result)

    def cancel(self, id: Union[str, int]) -> Task:
        """Cancels a task not finished yet (a running one is stopped); returns it, ``canceled``."""
        return Task.from_wire(self.call("cancel", {"id": str(id)}))

    # --- operating the queue (the ``admin`` role with authentication on) ------------------

    def retry(self, id: Union[str, int]) -> Task:
        """Puts a failed or canceled task back in the queue with a fresh attempt budget.

        Raises :class:`~taskwire.TaskNotRetryableError` for a task in another state.
        """
        return Task.from_wire(self.call("retry", {"id": str(id)}))

    def retry_many(
        self,
        status: str = "failed",
        type: Optional[str] = None,
        since: Optional[datetime] = None,
    ) -> int:
        """Retries every task in ``status`` (``failed`` or ``canceled``) of ``type``, created
        at or after ``since``; returns how many."""
        params: Dict[str, Any] = {"status": status}
        if type is not None:
            params["type"] = type
        if since is not None:
            params["since"] = _wire_value(since)
        return int(self.call("retryMany", params)["retried"])

    def pause(self, type: str) -> bool:
        """Stops handing out tasks of ``type`` (stored; every server); False if paused already."""
        return bool(self.call("pause", {"type": type})["changed"])

    def resume(self, type: str) -> bool:
        """Hands out tasks of a paused ``type`` again; False if it was not paused."""
        return bool(self.call("resume", {"type": type})["changed"])

    def types(self) -> List[TypeInfo]:
        """Every task type with its tasks per status and whether it is paused."""
        return [TypeInfo.from_wire(t) for t in self.call("types").get("types", [])]

    # --- the server ----------------------------------------------------------------------

    def ping(self) -> Pong:
        """A round trip to the server, which says whether its store can be written."""
        answer = self.call("ping")
        return Pong(server=str(answer.get("server", "")), store=str(answer.get("store", "")))

    def workers(self) -> List[WorkerInfo]:
        """The workers connected to the server."""
        return [WorkerInfo.from_wire(w) for w in self.call("workers").get("workers", [])]

    def call(self, method: str, params: Any = None, timeout: Optional[float] = _DEFAULT) -> Any:
        """Calls any method of the protocol and returns its raw result (e.g. ``tally.status``)."""
        return self._session.call(method, params, self.timeout if timeout is _DEFAULT else timeout)

    # --- the connection ------------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port`` of the server in use (while disconnected: the last one)."""
        return str(self._session.address)

    @property
    def addresses(self) -> List[str]:
        """Every server this client may connect to, in list order."""
        return [str(a) for a in self._session.addresses]

    @property
    def connected(self) -> bool:
        """Whether a connection is up right now (it reconnects by itself after a drop)."""
        return self._session.connected

    def close(self) -> None:
        """Closes the connection; calls still waiting raise ClientClosedError. Safe to call twice."""
        self._session.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._session.closed else ("connected" if self.connected else "reconnecting")
        return f"<taskwire.Client {self.address} {state}>"
