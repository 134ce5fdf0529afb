"""Server-side client of Qubit's Server Experiences API.

Fetch the experiences a visitor is bucketed into, render their payloads,
set the ``_qubitTracker`` cookie for a new visitor and report each
experience shown::

    import qubit_experiences as qe

    client = qe.Client("retail_shop")
    context_id = qe.context_id_from_cookie_header(cookie_header)
    answer = client.get_experiences_fail_open(context_id)
    for experience in answer:
        render(experience.payload)
        client.shown_later(experience, answer.context_id)

Every behaviour lives in the Rust core; this package is a thin layer over
its native module. Network calls release the GIL; ``AsyncClient`` runs
them off the event loop.
"""

from __future__ import annotations

import atexit
import logging

from . import _native
from ._async import AsyncClient
from ._native import (
    COOKIE_NAME,
    ERROR_CODES,
    Answer,
    Client,
    Experience,
    context_id_from_cookie_header,
    cookie_domain_for_host,
    decode_callback_url,
    generate_context_id,
    set_cookie_header,
)
from .errors import (
    CallbackRefusedError,
    ClosedError,
    DecodeError,
    HttpStatusError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    QubitConnectionError,
    QubitError,
    QubitTimeoutError,
    QueueFullError,
    ResponseTooLargeError,
)

#: The package's version.
__version__: str = _native.VERSION

__all__ = [
    "COOKIE_NAME",
    "ERROR_CODES",
    "Answer",
    "AsyncClient",
    "CallbackRefusedError",
    "Client",
    "ClosedError",
    "DecodeError",
    "Experience",
    "HttpStatusError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "QubitConnectionError",
    "QubitError",
    "QubitTimeoutError",
    "QueueFullError",
    "ResponseTooLargeError",
    "__version__",
    "context_id_from_cookie_header",
    "cookie_domain_for_host",
    "decode_callback_url",
    "generate_context_id",
    "set_cookie_header",
]

# A library only emits records; the application decides where they go.
logging.getLogger("qubit_experiences").addHandler(logging.NullHandler())

# Deliver the callbacks still queued when the interpreter exits, bounded so
# that an unreachable service cannot hold the exit up for long.
atexit.register(_native.close_all, 2.0)
