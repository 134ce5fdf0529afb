"""Every core error code surfaces as its own exception class."""

from __future__ import annotations

import time

import pytest

import qubit_experiences as qe
from qubit_experiences import errors

from conftest import Emulator

ALL_CLASSES = list(errors.BY_CODE.values())


def test_each_class_carries_the_core_code_name_and_number() -> None:
    assert {cls.code: cls.number for cls in ALL_CLASSES} == qe.ERROR_CODES
    assert list(errors.BY_CODE) == list(qe.ERROR_CODES)


def test_every_class_is_a_qubit_error_and_an_exception() -> None:
    for cls in ALL_CLASSES:
        assert issubclass(cls, qe.QubitError)
        assert issubclass(cls, Exception)


def test_builtin_bases_let_generic_handlers_catch_them() -> None:
    assert issubclass(qe.InvalidArgumentError, ValueError)
    assert issubclass(qe.QubitTimeoutError, TimeoutError)
    assert issubclass(qe.QubitConnectionError, ConnectionError)


def client(emulator: Emulator, **settings: object) -> qe.Client:
    return qe.Client(emulator.tracking_id, base_url=emulator.url, backoff=(0.001, 0.002), **settings)  # type: ignore[arg-type]


def test_unknown_tracking_id_is_not_found_with_status_404(emulator: Emulator) -> None:
    unknown = qe.Client("no_such_property", base_url=emulator.url)

    with pytest.raises(qe.NotFoundError) as raised:
        unknown.get_experiences("visitor-1")

    assert raised.value.code == "NOT_FOUND"
    assert raised.value.status == 404


def test_server_error_is_http_status_with_status_and_body_excerpt(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "status", "status": 503, "body": "down for maintenance"}])

    with pytest.raises(qe.HttpStatusError) as raised:
        client(emulator, retries=0).get_experiences("visitor-1")

    assert raised.value.code == "HTTP_STATUS"
    assert raised.value.status == 503
    assert raised.value.body_excerpt == "down for maintenance"
    assert str(raised.value) == "the service answered HTTP 503: down for maintenance"


def test_slow_answer_is_a_timeout_error(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "latency", "ms": 1000}])

    with pytest.raises(TimeoutError) as raised:
        client(emulator, timeout=0.1).get_experiences("visitor-1")

    assert type(raised.value) is qe.QubitTimeoutError
    assert raised.value.code == "TIMEOUT"
    assert raised.value.status is None


def test_a_calls_own_timeout_overrides_the_clients(emulator: Emulator) -> None:
    emulator.set_faults([{"kind": "latency", "ms": 2000, "on": "experiences"}])
    client = qe.Client(emulator.tracking_id, base_url=emulator.url, timeout=5.0)

    started = time.monotonic()
    with pytest.raises(qe.QubitTimeoutError) as raised:
        client.get_experiences("visitor-1", timeout=0.1)

    assert raised.value.code == "TIMEOUT"
    assert time.monotonic() - started < 1.0
    with pytest.raises(TypeError):
        client.get_experiences("visitor-1", timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(qe.InvalidArgumentError):
        client.get_experiences("visitor-1", timeout=0)


def test_dropped_connection_is_a_connection_error(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "drop"}])

    with pytest.raises(ConnectionError) as raised:
        client(emulator, retries=0).get_experiences("visitor-1")

    assert type(raised.value) is qe.QubitConnectionError
    assert raised.value.code == "CONNECTION"


def test_malformed_answer_is_a_decode_error(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "malformed"}])

    with pytest.raises(qe.DecodeError) as raised:
        client(emulator).get_experiences("visitor-1")

    assert raised.value.code == "DECODE"


def test_oversized_answer_is_response_too_large(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "oversize", "bytes": 100_000}])

    with pytest.raises(qe.ResponseTooLargeError) as raised:
        client(emulator, max_response_bytes=10_000).get_experiences("visitor-1")

    assert raised.value.code == "RESPONSE_TOO_LARGE"


def test_callback_to_a_host_not_allowed_is_refused(emulator: Emulator) -> None:
    experience = client(emulator).get_experiences("visitor-1").experiences[0]
    elsewhere = qe.Client(emulator.tracking_id, base_url="https://sse.example.invalid")

    with pytest.raises(qe.CallbackRefusedError) as raised:
        elsewhere.shown_later(experience, "visitor-1")

    assert raised.value.code == "CALLBACK_REFUSED"
    assert emulator.callbacks() == []


def test_calls_after_close_are_closed_errors(emulator: Emulator) -> None:
    closing = client(emulator)
    experience = closing.get_experiences("visitor-1").experiences[0]
    closing.close()
    closing.close()  # idempotent

    assert closing.closed
    with pytest.raises(qe.ClosedError):
        closing.get_experiences("visitor-1")
    with pytest.raises(qe.ClosedError):
        closing.shown_later(experience, "visitor-1")


def test_a_full_queue_drops_and_raises_queue_full(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "callback", "kind": "latency", "ms": 300}])
    small = client(emulator, queue_capacity=1, callback_workers=1)
    experience = small.get_experiences("visitor-1").experiences[0]

    with pytest.raises(qe.QueueFullError) as raised:
        for n in range(5):
            small.shown_later(experience, f"visitor-{n}")

    assert raised.value.code == "QUEUE_FULL"
    assert small.stats()["callbacks_dropped"] >= 1
    small.close(5)


def test_a_panic_becomes_internal_error_not_base_exception() -> None:
    with pytest.raises(qe.InternalError) as raised:
        qe._native._panic_for_tests()

    assert raised.value.code == "INTERNAL"
    assert "panic requested by a test" in str(raised.value)


def test_bad_settings_are_invalid_argument_errors() -> None:
    with pytest.raises(qe.InvalidArgumentError) as raised:
        qe.Client("")
    assert raised.value.code == "INVALID_ARGUMENT"

    with pytest.raises(ValueError):
        qe.Client("retail_shop", base_url="ftp://nope")


def test_fail_open_answers_empty_with_the_error_as_a_value(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "status", "status": 404}])

    answer = client(emulator).get_experiences_fail_open()

    assert answer.source == "fallback"
    assert list(answer) == []
    assert isinstance(answer.error, qe.NotFoundError)
    assert answer.error.status == 404
    assert answer.context_id_generated is True
    assert len(answer.context_id) == 29


def test_fail_open_keeps_the_callers_context_id(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "malformed"}])

    answer = client(emulator).get_experiences_fail_open("visitor-1")

    assert answer.context_id == "visitor-1"
    assert answer.context_id_generated is False
    assert isinstance(answer.error, qe.DecodeError)
