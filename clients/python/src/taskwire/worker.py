"""The worker: runs the tasks the server pushes, with handlers registered by type.

Handlers run on a pool of ``concurrency`` threads. The worker heartbeats its leases,
reports each result or failure, reconnects (failing over along the address list) and
registers again, and stops gracefully: see :meth:`Worker.stop` and :meth:`Worker.run`.
"""
from __future__ import annotations

import itertools
import logging
import os
import queue
import signal
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, TypeVar

from .client import AddressArg, TlsArg, new_session
from .errors import TaskwireError
from .framing import DEFAULT_MAX_LINE_BYTES, encode_message

__all__ = ["Worker", "Job", "Handler"]

log = logging.getLogger("taskwire.worker")


class Job:
    """A task handed to this worker under a lease: what a handler gets.

    ``data`` is what was submitted, ``attempt`` counts from 1, ``reps`` is the units the
    task needs. ``cancelled`` turns true when the lease is taken back (``task.revoke``,
    a lost connection) or the worker stops past its grace: the result would be refused,
    so a long handler should check it (or sleep with :meth:`wait_cancelled`) and return.
    """

    def __init__(self, assignment: Dict[str, Any], worker: "Worker") -> None:
        self.id = str(assignment.get("id", ""))
        self.type = str(assignment.get("type", ""))
        self.data: Any = assignment.get("data")
        self.reps = int(assignment.get("reps", 1))
        self.attempt = int(assignment.get("attempt", 1))
        #: The lease token (the worker reports with it).
        self.token = str(assignment.get("token", ""))
        #: Why the job was cancelled, once it is.
        self.cancel_reason: Optional[str] = None
        self.units = 1
        self._worker = worker
        self._cancelled = threading.Event()
        self._finished = threading.Event()

    @property
    def cancelled(self) -> bool:
        """Whether the lease is gone or the worker is stopping past its grace."""
        return self._cancelled.is_set()

    def is_cancelled(self) -> bool:
        """The same as :attr:`cancelled`."""
        return self._cancelled.is_set()

    def wait_cancelled(self, timeout: Optional[float] = None) -> bool:
        """Sleeps up to ``timeout`` seconds, less if cancelled meanwhile; returns ``cancelled``."""
        return self._cancelled.wait(timeout)

    def progress(self, fraction: float) -> None:
        """Reports progress (0..1); clients see it in ``status`` and ``wait(on_update=...)``."""
        self._worker._progress(self, min(1.0, max(0.0, float(fraction))))

    def set_units(self, units: int) -> None:
        """Says how many units of work this attempt did (multi-unit tasks; default 1)."""
        self.units = int(units)

    def _cancel(self, reason: str) -> None:
        if not self._cancelled.is_set():
            self.cancel_reason = reason
            self._cancelled.set()

    def __repr__(self) -> str:
        return f"<taskwire.Job {self.id} {self.type} attempt {self.attempt}>"


#: A handler: gets the job, returns its JSON-serialisable result; raising fails the attempt.
Handler = Callable[[Job], Any]
_H = TypeVar("_H", bound=Handler)


class _Pool:
    """``size`` daemon threads running jobs: a stuck handler cannot keep the process alive."""

    def __init__(self, size: int, run: Callable[[Job], None]) -> None:
        self._jobs: "queue.SimpleQueue[Optional[Job]]" = queue.SimpleQueue()
        self._run = run
        self._threads = [
            threading.Thread(target=self._loop, name=f"taskwire-handler-{i + 1}", daemon=True)
            for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> None:
        self._jobs.put(job)

    def stop(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._run(job)


class Worker:
    """Runs tasks of the types it has handlers for, ``concurrency`` at a time.

    ``address`` is as for :class:`~taskwire.Client` (a list fails over); ``types`` limits
    the declared types to some of the registered handlers (default: all of them);
    ``grace`` is how long :meth:`stop` (and the first SIGTERM/SIGINT in :meth:`run`) lets
    running tasks finish.
    """

    def __init__(
        self,
        address: AddressArg = None,
        types: Optional[Sequence[str]] = None,
        concurrency: int = 1,
        *,
        port: Optional[int] = None,
        token: Optional[str] = None,
        tls: TlsArg = False,
        ca: Optional[str] = None,
        insecure_skip_verify: bool = False,
        name: Optional[str] = None,
        grace: float = 10.0,
        connect_timeout: float = 10.0,
        report_timeout: float = 30.0,
        order: str = "ordered",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.name = name
        self.concurrency = concurrency
        self.grace = grace
        self._types = list(types) if types is not None else None
        self._report_timeout = report_timeout
        self._handlers: Dict[str, Handler] = {}
        self._session = new_session(
            address,
            port,
            token,
            tls,
            ca,
            insecure_skip_verify,
            connect_timeout=connect_timeout,
            order=order,
            max_line_bytes=max_line_bytes,
            handshake=self._hello,
            on_notification=self._on_notification,
            on_disconnect=self._on_disconnect,
        )
        self._lock = threading.Lock()
        self._running: Dict[str, Job] = {}
        #: Leases pushed while stopping: not run, kept alive until the connection closes.
        self._held: Set[str] = set()
        self._pool: Optional[_Pool] = None
        self._heartbeat_s = 1.0
        self._beat_now = threading.Event()
        self._heartbeat: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._shutdown_lock = threading.Lock()
        self._signals = itertools.count(1)
        #: The id the server gave this worker at its last ``worker.hello``.
        self.worker_id: Optional[str] = None
        #: Finished tasks: accepted by the server (done, failed) or refused as stale.
        self.counts = {"done": 0, "failed": 0, "refused": 0}

    # --- handlers ------------------------------------------------------------------------

    def handler(self, type: str) -> Callable[[_H], _H]:
        """Decorator: ``@worker.handler("resize")`` registers the function for that type."""

        def decorate(fn: _H) -> _H:
            self.register(type, fn)
            return fn

        return decorate

    def register(self, type: str, fn: Handler) -> None:
        """Registers the handler of a task type (before :meth:`start`)."""
        if not type:
            raise ValueError("a task type must not be empty")
        if self._pool is not None:
            raise RuntimeError("register handlers before the worker starts")
        self._handlers[type] = fn

    @property
    def types(self) -> List[str]:
        """The task types this worker declares."""
        return list(self._types) if self._types is not None else list(self._handlers)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Connects and registers, then returns; tasks run on background threads.

        Raises :class:`~taskwire.ConnectError` if no server accepts.
        """
        if self._pool is not None:
            raise RuntimeError("the worker was already started")
        types = self.types
        if not types:
            raise ValueError("register at least one handler before starting the worker")
        missing = [t for t in types if t not in self._handlers]
        if missing:
            raise ValueError(f"no handler for the declared type(s) {', '.join(missing)}")
        # The pool exists before hello: the server pushes tasks as soon as it answers.
        self._pool = _Pool(self.concurrency, self._execute)
        try:
            self._session.connect()
        except BaseException:
            self._pool.stop()
            self._stopping.set()
            self._stopped.set()
            raise
        self._heartbeat = threading.Thread(target=self._beat_loop, name="taskwire-heartbeat", daemon=True)
        self._heartbeat.start()

    def run(self) -> None:
        """Starts (unless started) and blocks until the worker stops.

        On the main thread it handles SIGTERM and SIGINT meanwhile: the first stops taking
        tasks and lets the running ones finish within ``grace`` (then gives the rest back);
        a second exits the process at once.
        """
        restore: Dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                restore[sig] = signal.signal(sig, self._on_signal)
        try:
            if self._pool is None:
                self.start()
            while not self._stopping.wait(0.5):
                lost = self._session.lost
                if lost is not None:
                    raise lost
        finally:
            try:
                self._shutdown()
            finally:
                for signum, previous in restore.items():
                    signal.signal(signum, previous)

    def stop(self, grace: Optional[float] = None, wait: bool = True) -> None:
        """Stops: takes no new task, gives running ones ``grace`` seconds (default: the
        worker's) to finish and report, then cancels the rest and closes the connection,
        which gives their leases back to the server. Safe to call twice. With
        ``wait=False`` it returns at once (use it from a handler).
        """
        if grace is not None:
            self.grace = grace
        self._stopping.set()
        if wait:
            self._shutdown()
        else:
            threading.Thread(target=self._shutdown, name="taskwire-stop", daemon=True).start()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        # next() first: a second signal may arrive while this handler still runs.
        if next(self._signals) > 1:
            log.warning("taskwire worker: second signal, exiting now")
            sys.stderr.flush()
            os._exit(128 + signum)
        self._stopping.set()
        log.info(
            "taskwire worker: stopping; %d running task(s) get %g s to finish (signal again to exit now)",
            len(self._running),
            self.grace,
        )

    def _shutdown(self) -> None:
        with self._shutdown_lock:
            if self._stopped.is_set():
                return
            self._stopping.set()
            deadline = time.monotonic() + self.grace
            with self._lock:
                running = list(self._running.values())
            for job in running:
                job._finished.wait(max(0.0, deadline - time.monotonic()))
            for job in running:
                if not job._finished.is_set():
                    job._cancel("worker shutting down")
            self._session.close()
            if self._pool is not None:
                self._pool.stop()
            self._stopped.set()
            self._beat_now.set()

    @property
    def running(self) -> int:
        """Tasks running now."""
        return len(self._running)

    @property
    def stopped(self) -> bool:
        """Whether the worker has stopped."""
        return self._stopped.is_set()

    def __enter__(self) -> "Worker":
        if self._pool is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- the protocol --------------------------------------------------------------------

    def _hello(self, call: Callable[[str, Any], Any]) -> None:
        """Registers with a new connection's server (on every (re)connection)."""
        params: Dict[str, Any] = {"types": self.types, "concurrency": self.concurrency}
        if self.name:
            params["name"] = self.name
        answer = call("worker.hello", params)
        self.worker_id = str(answer.get("workerId"))
        self._heartbeat_s = max(0.01, float(answer.get("heartbeatMs", 1000)) / 1000.0)
        self._beat_now.set()  # restart the heartbeat's clock at the new interval
        log.info("taskwire worker: registered as %s", self.worker_id)

    def _on_notification(self, method: str, params: Any) -> None:
        if not isinstance(params, dict):
            return
        if method == "task.assign":
            for assignment in params.get("tasks", []):
                self._assign(assignment)
        elif method == "task.revoke":
            reason = f"lease {params.get('reason', 'revoked')}"
            with self._lock:
                jobs = [self._running.get(str(t)) for t in params.get("tokens", [])]
            for job in jobs:
                if job is not None:
                    job._cancel(reason)

    def _assign(self, assignment: Dict[str, Any]) -> None:
        job = Job(assignment, self)
        with self._lock:
            if self._stopping.is_set() or self._pool is None:
                # Not run: the lease goes back when the connection closes.
                self._held.add(job.token)
                return
            self._running[job.token] = job
        self._pool.submit(job)

    def _on_disconnect(self, address: str, reason: Optional[str]) -> None:
        # The server took the leases back: nothing running can be reported any more.
        with self._lock:
            jobs = list(self._running.values())
            self._held.clear()
        for job in jobs:
            job._cancel("connection lost")
        log.warning(
            "taskwire worker: connection to %s lost (%s); reconnecting",
            address,
            reason or "closed by the server",
        )

    def _execute(self, job: Job) -> None:
        try:
            if job.cancelled:
                return  # waited for a thread until its lease was gone
            handler = self._handlers.get(job.type)
            try:
                if handler is None:
                    raise LookupError(f"this worker has no handler for {job.type}")
                result = handler(job)
            except BaseException as error:  # noqa: BLE001 - any handler error fails the attempt
                if not job.cancelled:
                    self._report_failure(job, str(error) or type(error).__name__)
                return
            if job.cancelled:
                return  # the lease is gone: the report would be refused
            item: Dict[str, Any] = {"token": job.token, "units": job.units}
            if result is not None:
                item["result"] = result
            try:
                encode_message(item)
            except (TypeError, ValueError) as error:
                self._report_failure(job, f"the handler's result is not JSON-serialisable: {error}")
                return
            self._report("worker.complete", item, "done", job)
        finally:
            with self._lock:
                self._running.pop(job.token, None)
            job._finished.set()

    def _report_failure(self, job: Job, message: str) -> None:
        self._report("worker.fail", {"token": job.token, "error": message}, "failed", job)

    def _report(self, method: str, item: Dict[str, Any], outcome: str, job: Job) -> None:
        try:
            answer = self._session.call(method, {"items": [item]}, self._report_timeout)
            accepted = bool(answer.get("accepted", [False])[0])
        except TaskwireError as error:
            log.warning("taskwire worker: could not report task %s: %s", job.id, error)
            accepted = False
        with self._lock:
            self.counts[outcome if accepted else "refused"] += 1

    def _progress(self, job: Job, fraction: float) -> None:
        if not job.cancelled:
            self._session.send("worker.progress", {"token": job.token, "progress": fraction})

    def _beat_loop(self) -> None:
        """Heartbeats: extends the running leases, or says it is alive with a ping."""
        while not self._stopped.is_set():
            if self._beat_now.wait(self._heartbeat_s):
                self._beat_now.clear()
                continue
            with self._lock:
                tokens = [t for t, j in self._running.items() if not j.cancelled] + list(self._held)
            try:
                if not tokens:
                    self._session.notify("ping")
                    continue
                answer = self._session.call("worker.extend", {"tokens": tokens}, self._heartbeat_s * 3)
            except TaskwireError as error:
                log.info("taskwire worker: heartbeat failed: %s", error)
                continue
            lost = [t for t, ok in zip(tokens, answer.get("accepted", [])) if not ok]
            with self._lock:
                jobs = [self._running.get(t) for t in lost]
            for job in jobs:
                if job is not None:
                    job._cancel("lease lost")
