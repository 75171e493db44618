"""taskwire: the Python client and worker library for the taskwire task server.

>>> with taskwire.Client("127.0.0.1:5000") as client:       # doctest: +SKIP
...     task = client.run("flip", "hello")
...     task.result
'olleh'
"""
from __future__ import annotations

import logging

from .address import Address, parse_address, parse_address_list
from .client import Client, wire_options
from . import errors
from .errors import *  # noqa: F403 - the exceptions, listed once in errors.__all__
from .models import TERMINAL_STATUSES, Attempt, Pong, Retry, Task, TypeInfo, WorkerInfo
from .worker import Handler, Job, Worker

__version__ = "0.1.0"

# A library logs to "taskwire" and leaves where it goes to the application.
logging.getLogger("taskwire").addHandler(logging.NullHandler())

__all__ = [
    "Client",
    "Worker",
    "Job",
    "Handler",
    "Task",
    "Attempt",
    "Retry",
    "TypeInfo",
    "WorkerInfo",
    "Pong",
    "TERMINAL_STATUSES",
    "Address",
    "parse_address",
    "parse_address_list",
    "wire_options",
]
__all__ += errors.__all__
