"""A worker process for the signal tests.

    python worker_script.py ADDRESS TYPE NAME GRACE SECONDS

Runs TYPE tasks, each sleeping SECONDS without looking at cancellation, then returning the
data upper-cased. Prints ``started ID`` and, once run() returns, ``stopped``. (run() installs
its signal handlers before it connects: once the worker is registered, they are in place.)
"""
from __future__ import annotations

import logging
import sys
import time

import taskwire


def main() -> None:
    address, type_, name, grace, seconds = sys.argv[1:6]
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(name)s %(message)s")
    worker = taskwire.Worker(address, name=name, grace=float(grace))

    @worker.handler(type_)
    def slow(job: taskwire.Job) -> str:
        print(f"started {job.id}", flush=True)
        time.sleep(float(seconds))
        return str(job.data).upper()

    worker.run()
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
