"""The SDK's exceptions: one base class and one subclass per stable code.

The codes and their names are the core's error model, the same in every
language binding (see ``ERROR_CODES``). Every exception carries ``code``
(e.g. ``"NOT_FOUND"``) and ``status`` (the HTTP status, or ``None``).
"""

from __future__ import annotations

from typing import Dict, Optional, Type


class QubitError(Exception):
    """Base class of every error the SDK raises."""

    #: The core's stable code name, e.g. ``"NOT_FOUND"``.
    code: str = ""
    #: The core's stable code number.
    number: int = 0

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        #: The HTTP status the service answered, when there was one.
        self.status: Optional[int] = status

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidArgumentError(QubitError, ValueError):
    """An argument was empty, malformed or out of range; nothing was sent."""

    code = "INVALID_ARGUMENT"
    number = 1


class NotFoundError(QubitError):
    """The service answered 404: unknown tracking id, or an unknown or
    archived experience id in a strict query."""

    code = "NOT_FOUND"
    number = 2


class HttpStatusError(QubitError):
    """The service answered another non-2xx status."""

    code = "HTTP_STATUS"
    number = 3

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message, status)
        #: The start of the error response's body, to help diagnose it.
        self.body_excerpt: str = ""


class QubitTimeoutError(QubitError, TimeoutError):
    """The call's deadline passed. Also a builtin ``TimeoutError``."""

    code = "TIMEOUT"
    number = 4


class QubitConnectionError(QubitError, ConnectionError):
    """No connection could be made or kept. Also a builtin
    ``ConnectionError``."""

    code = "CONNECTION"
    number = 5


class DecodeError(QubitError):
    """The answer was not the JSON the protocol describes."""

    code = "DECODE"
    number = 6


class ResponseTooLargeError(QubitError):
    """The answer's body was larger than ``max_response_bytes``."""

    code = "RESPONSE_TOO_LARGE"
    number = 7


class CallbackRefusedError(QubitError):
    """A callback URL broke the callback host policy; nothing was sent."""

    code = "CALLBACK_REFUSED"
    number = 8


class ClosedError(QubitError):
    """The client was closed; no new work is accepted."""

    code = "CLOSED"
    number = 9


class QueueFullError(QubitError):
    """The background callback queue was full; the callback was dropped."""

    code = "QUEUE_FULL"
    number = 10


class InternalError(QubitError):
    """A bug in the SDK (a caught panic) or an exhausted system resource."""

    code = "INTERNAL"
    number = 11


#: Every exception class by its code name; the native module raises these.
BY_CODE: Dict[str, Type[QubitError]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        NotFoundError,
        HttpStatusError,
        QubitTimeoutError,
        QubitConnectionError,
        DecodeError,
        ResponseTooLargeError,
        CallbackRefusedError,
        ClosedError,
        QueueFullError,
        InternalError,
    )
}
