"""Exceptions: one class per error code of the server's catalogue, under one base.

The server's codes live in ``src/protocol/errors.ts``; a test keeps this module in step
with it. A code the table does not know (a newer server) becomes a plain
:class:`TaskwireError` that still carries the code, message and data.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence, Type, TypeVar

__all__ = [
    "TaskwireError",
    "ERROR_CLASSES",
    "error_class",
    "error_from_wire",
    # One class per code of the server's catalogue.
    "ParseError",
    "InvalidRequestError",
    "MethodNotFoundError",
    "InvalidParamsError",
    "InternalError",
    "TaskNotFoundError",
    "UnknownTaskTypeError",
    "InvalidTaskDataError",
    "TaskNotCancelableError",
    "LineTooLongError",
    "InvalidUtf8Error",
    "StaleLeaseError",
    "NotAWorkerError",
    "TallyNotFoundError",
    "InvalidScheduleError",
    "ScheduleNotFoundError",
    "UnauthorizedError",
    "ForbiddenError",
    "TaskPrunedError",
    "TaskNotRetryableError",
    "PayloadTooComplexError",
    "LineTimeoutError",
    "ShuttingDownError",
    "StoreUnavailableError",
    "TooManyConnectionsError",
    # Raised on this side.
    "ConnectError",
    "ConnectionLostError",
    "ClientClosedError",
    "AuthError",
    "TaskwireTimeoutError",
    "AddressError",
]


class TaskwireError(Exception):
    """Base of every error this library raises.

    ``code`` is the server's error code (``None`` for errors raised on this side, such as a
    lost connection), ``data`` the error object's ``data`` (e.g. ``{"known": [...]}`` for
    an unknown task type) and ``code_name`` the catalogue name (``"TASK_NOT_FOUND"``).
    """

    #: The server error code this class stands for, and its catalogue name (set by
    #: :func:`error_class` on each code's class; ``None`` on the others).
    code: Optional[int] = None
    code_name: Optional[str] = None

    def __init__(self, code: Optional[int], message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        # Pickling (multiprocessing, logging handlers) rebuilds from the constructor's args.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: Type[TaskwireError], state: Dict[str, Any]) -> TaskwireError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


#: Server error code -> the class raised for it. A new code is one decorated class below
#: (e.g. the security issue's codes, as subclasses of :class:`AuthError`).
ERROR_CLASSES: Dict[int, Type[TaskwireError]] = {}

_E = TypeVar("_E", bound=Type[TaskwireError])


def error_class(code: int, name: str) -> Callable[[_E], _E]:
    """Class decorator: registers ``cls`` as the exception for server error ``code``."""

    def register(cls: _E) -> _E:
        if code in ERROR_CLASSES:
            raise ValueError(f"error code {code} already maps to {ERROR_CLASSES[code].__name__}")
        cls.code = code
        cls.code_name = name
        ERROR_CLASSES[code] = cls
        return cls

    return register


def error_from_wire(error: Any) -> TaskwireError:
    """The exception for a JSON-RPC error object ``{code, message, data?}`` from the server."""
    if not isinstance(error, dict):
        return TaskwireError(None, f"malformed error from the server: {error!r}")
    code = error.get("code")
    message = str(error.get("message", "error without a message"))
    data = error.get("data")
    if not isinstance(code, int) or isinstance(code, bool):
        return TaskwireError(None, message, data)
    return ERROR_CLASSES.get(code, TaskwireError)(code, message, data)


class AuthError(TaskwireError):
    """The server refused the token or its roles: the base of :class:`UnauthorizedError` and
    :class:`ForbiddenError` (``code`` and ``data`` are the server's, if it sent them)."""


# --- the server's catalogue (src/protocol/errors.ts) ------------------------------------
# JSON-RPC 2.0 standard codes.


@error_class(-32700, "PARSE_ERROR")
class ParseError(TaskwireError):
    """The server could not parse a line as JSON."""


@error_class(-32600, "INVALID_REQUEST")
class InvalidRequestError(TaskwireError):
    """Not a JSON-RPC 2.0 request (or an empty batch)."""


@error_class(-32601, "METHOD_NOT_FOUND")
class MethodNotFoundError(TaskwireError):
    """The server has no such method."""


@error_class(-32602, "INVALID_PARAMS")
class InvalidParamsError(TaskwireError):
    """Params of the wrong shape or type; the message names the field."""


@error_class(-32603, "INTERNAL_ERROR")
class InternalError(TaskwireError):
    """A bug in the server; it logged it and keeps serving."""


# taskwire codes.


@error_class(1001, "TASK_NOT_FOUND")
class TaskNotFoundError(TaskwireError):
    """No task with that id."""


@error_class(1002, "UNKNOWN_TASK_TYPE")
class UnknownTaskTypeError(TaskwireError):
    """No executor or connected worker runs that type; ``data["known"]`` lists those that do."""


@error_class(1003, "INVALID_TASK_DATA")
class InvalidTaskDataError(TaskwireError):
    """The data does not suit the type (e.g. an empty string for ``flip``)."""


@error_class(1004, "TASK_NOT_CANCELABLE")
class TaskNotCancelableError(TaskwireError):
    """A finished task cannot be canceled; ``data["status"]`` says which status it is in."""


@error_class(1005, "LINE_TOO_LONG")
class LineTooLongError(TaskwireError):
    """A request line was over the server's limit (``data["limit"]``); it closed the connection."""


@error_class(1006, "INVALID_UTF8")
class InvalidUtf8Error(TaskwireError):
    """A request line was not valid UTF-8."""


@error_class(1007, "STALE_LEASE")
class StaleLeaseError(TaskwireError):
    """A report for a lease the worker no longer holds."""


@error_class(1008, "NOT_A_WORKER")
class NotAWorkerError(TaskwireError):
    """A worker method before ``worker.hello``."""


@error_class(1009, "TALLY_NOT_FOUND")
class TallyNotFoundError(TaskwireError):
    """No tally with that id (or none created yet)."""


@error_class(1010, "INVALID_SCHEDULE")
class InvalidScheduleError(TaskwireError):
    """``schedule.add``: the cron expression does not parse, has no run left, or the time zone is unknown."""


@error_class(1011, "SCHEDULE_NOT_FOUND")
class ScheduleNotFoundError(TaskwireError):
    """``schedule.remove``: no schedule of that name."""


@error_class(1012, "UNAUTHORIZED")
class UnauthorizedError(AuthError):
    """No valid token (wrong, missing, removed from the auth file, or too late): the server
    closes the connection, and the session does not reconnect."""


@error_class(1013, "FORBIDDEN")
class ForbiddenError(AuthError):
    """The token lacks a role the method needs (``data["roles"]`` are its roles). The
    connection keeps working; during a worker's handshake (``worker.hello``) it stops the
    worker like a refused token."""


@error_class(1014, "TASK_PRUNED")
class TaskPrunedError(TaskwireError):
    """The task (or tally) was finished and has since been deleted by the server's retention."""


@error_class(1015, "TASK_NOT_RETRYABLE")
class TaskNotRetryableError(TaskwireError):
    """``retry``: the task is not failed or canceled (``data["status"]`` says what it is)."""


@error_class(1020, "PAYLOAD_TOO_COMPLEX")
class PayloadTooComplexError(TaskwireError):
    """A request line nested too deep or held too many object keys (``data["limit"]``, ``data["max"]``)."""


@error_class(1021, "LINE_TIMEOUT")
class LineTimeoutError(TaskwireError):
    """A line was left unfinished longer than the server allows; it closed the connection."""


@error_class(2001, "SHUTTING_DOWN")
class ShuttingDownError(TaskwireError):
    """The server is stopping; try again elsewhere or later."""


@error_class(2002, "STORE_UNAVAILABLE")
class StoreUnavailableError(TaskwireError):
    """The server's database failed; nothing was acknowledged."""


@error_class(2010, "TOO_MANY_CONNECTIONS")
class TooManyConnectionsError(TaskwireError):
    """The server serves its maximum of connections (``data["limit"]``) and closed this one."""


# --- errors raised on this side ---------------------------------------------------------


class ConnectError(TaskwireError):
    """No server of the address list accepted a connection.

    ``failures`` holds ``(address, reason)`` for every address tried, in order.
    """

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(None, message)
        self.failures = list(failures)


class ConnectionLostError(TaskwireError):
    """The connection dropped before the server answered (and the call is not re-sent)."""

    def __init__(self, method: str, address: str, reason: Optional[str] = None) -> None:
        submitted = method in ("submit", "submitMany", "run")
        text = f"connection to {address} lost before the server answered {method}"
        if reason:
            text += f" ({reason})"
        if submitted:
            text += ": the task may or may not have been accepted"
        super().__init__(None, text)
        self.method = method
        self.address = address


class ClientClosedError(TaskwireError):
    """The call was made on, or was still pending when, the client was closed."""

    def __init__(self, method: str) -> None:
        super().__init__(None, f"client closed before the server answered {method}")
        self.method = method


class TaskwireTimeoutError(TaskwireError, TimeoutError):
    """No answer within the timeout. The request may still take effect on the server."""

    def __init__(self, message: str, method: Optional[str] = None) -> None:
        super().__init__(None, message)
        self.method = method


class AddressError(TaskwireError, ValueError):
    """The server address list could not be parsed; the message says which item and why."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)
