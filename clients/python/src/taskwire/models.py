"""What the server returns, as dataclasses: a task, its attempts, a worker, a ping."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional

__all__ = ["Task", "Attempt", "WorkerInfo", "Pong", "TERMINAL_STATUSES", "parse_timestamp"]

#: Statuses a task never leaves.
TERMINAL_STATUSES = frozenset({"done", "failed", "canceled"})


def parse_timestamp(value: Any) -> Optional[datetime]:
    """An ISO 8601 timestamp from the server (``2024-05-01T12:00:00.000Z``) as an aware datetime."""
    if not isinstance(value, str) or value == "":
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    return datetime.fromisoformat(text)  # Python 3.9/3.10 do not read a "Z"


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


@dataclass(frozen=True)
class Attempt:
    """One lease of a task: an attempt by one worker (``status(id, attempts=True)``)."""

    n: int
    worker: str
    #: ``active``, ``done``, ``failed``, ``expired``, ``released`` or ``canceled`` (the task
    #: was canceled while it ran).
    state: str
    started_at: Optional[datetime]
    ended_at: Optional[datetime] = None
    units: Optional[int] = None
    error: Optional[str] = None

    @classmethod
    def from_wire(cls, view: Dict[str, Any]) -> "Attempt":
        """Builds it from the protocol's attempt object."""
        return cls(
            n=_int(view.get("n")),
            worker=str(view.get("worker", "")),
            state=str(view.get("state", "")),
            started_at=parse_timestamp(view.get("startedAt")),
            ended_at=parse_timestamp(view.get("endedAt")),
            units=view.get("units"),
            error=view.get("error"),
        )


@dataclass(frozen=True)
class Retry:
    """A retry of a finished task: when, by whom, and the status it left."""

    at: Optional[datetime]
    by: str
    #: ``failed`` or ``canceled``.
    was: str

    @classmethod
    def from_wire(cls, view: Dict[str, Any]) -> "Retry":
        """Builds it from the protocol's retry object."""
        return cls(
            at=parse_timestamp(view.get("at")),
            by=str(view.get("by", "")),
            was=str(view.get("was", "")),
        )


@dataclass(frozen=True)
class TypeInfo:
    """A task type as ``types()`` lists it: its tasks per status, and whether it is paused."""

    type: str
    #: Tasks per status: ``scheduled``, ``enqueued``, ``processing``, ``done``, ``failed``,
    #: ``canceled``.
    counts: Dict[str, int]
    paused: bool

    @classmethod
    def from_wire(cls, view: Dict[str, Any]) -> "TypeInfo":
        """Builds it from the protocol's type object."""
        counts = view.get("counts")
        return cls(
            type=str(view.get("type", "")),
            counts={str(k): _int(v) for k, v in counts.items()} if isinstance(counts, dict) else {},
            paused=view.get("paused") is True,
        )


@dataclass(frozen=True)
class Task:
    """A task as the server shows it (the protocol's task view). Timestamps are aware datetimes."""

    id: str
    type: str
    data: Any
    #: ``scheduled`` (delayed, not due yet), ``enqueued``, ``processing``, ``done``, ``failed``
    #: or ``canceled``.
    status: str
    #: The result, when ``done``.
    result: Any = None
    #: The last error: a failed attempt's, or why the task ``failed``.
    error: Optional[str] = None
    reps: int = 1
    units_done: int = 0
    #: How many times the task was handed to a worker.
    attempts: int = 0
    progress: Optional[float] = None
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    #: Higher runs first (0 unless submitted with ``priority=``).
    priority: int = 0
    #: When the task is (or was) due, if not at its creation: a delay's end, a retry's time.
    run_at: Optional[datetime] = None
    #: Its unique key (``key=``), if any.
    key: Optional[str] = None
    #: The cron schedule whose tick made it, if any.
    schedule: Optional[str] = None
    #: Every attempt, with ``status(id, attempts=True)``; otherwise ``None``.
    attempt_log: Optional[List[Attempt]] = None
    #: Who put the task back in the queue and when (``retry``), with ``attempts=True``.
    retries: Optional[List["Retry"]] = None
    #: The task view as it came from the server, fields this version does not know included.
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        """Whether the task is done, failed or canceled (it will not change again)."""
        return self.status in TERMINAL_STATUSES

    @property
    def ok(self) -> bool:
        """Whether the task is done (its ``result`` is final)."""
        return self.status == "done"

    @classmethod
    def from_wire(cls, view: Dict[str, Any]) -> "Task":
        """Builds it from the protocol's task view."""
        log = view.get("attemptLog")
        return cls(
            id=str(view.get("id", "")),
            type=str(view.get("type", "")),
            data=view.get("data"),
            status=str(view.get("status", "")),
            result=view.get("result"),
            error=view.get("error"),
            reps=_int(view.get("reps"), 1),
            units_done=_int(view.get("unitsDone")),
            attempts=_int(view.get("attempts")),
            progress=view.get("progress"),
            created_at=parse_timestamp(view.get("createdAt")),
            started_at=parse_timestamp(view.get("startedAt")),
            finished_at=parse_timestamp(view.get("finishedAt")),
            updated_at=parse_timestamp(view.get("updatedAt")),
            priority=_int(view.get("priority")),
            run_at=parse_timestamp(view.get("runAt")),
            key=view.get("key"),
            schedule=view.get("schedule"),
            attempt_log=[Attempt.from_wire(a) for a in log if isinstance(a, dict)]
            if isinstance(log, list)
            else None,
            retries=[Retry.from_wire(r) for r in view["retries"] if isinstance(r, dict)]
            if isinstance(view.get("retries"), list)
            else None,
            raw=dict(view),
        )


@dataclass(frozen=True)
class WorkerInfo:
    """A worker connected to the server (``Client.workers()``)."""

    id: str
    name: str
    address: str
    types: List[str]
    concurrency: int
    in_flight: int
    done: int
    connected_at: Optional[datetime]

    @classmethod
    def from_wire(cls, view: Dict[str, Any]) -> "WorkerInfo":
        """Builds it from the ``workers`` method's worker object."""
        return cls(
            id=str(view.get("id", "")),
            name=str(view.get("name", "")),
            address=str(view.get("address", "")),
            types=[str(t) for t in view.get("types", [])],
            concurrency=_int(view.get("concurrency"), 1),
            in_flight=_int(view.get("inFlight")),
            done=_int(view.get("done")),
            connected_at=parse_timestamp(view.get("connectedAt")),
        )


@dataclass(frozen=True)
class Pong:
    """The answer to ``ping``: the server's name and whether its store can be written."""

    server: str
    #: ``ok``, or ``unavailable`` while the database cannot be written.
    store: str

    @property
    def store_ok(self) -> bool:
        """Whether the server's database answers."""
        return self.store == "ok"
