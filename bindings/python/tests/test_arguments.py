"""Wrong argument types raise TypeError; values out of range ValueError
(InvalidArgumentError). Nothing is sent for either."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import qubit_experiences as qe

from conftest import Emulator


@pytest.fixture()
def client(emulator: Emulator) -> qe.Client:
    return qe.Client(emulator.tracking_id, base_url=emulator.url)


def fetch_with(client: qe.Client, **kwargs: Any) -> Callable[[], object]:
    return lambda: client.get_experiences(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"context_id": 123},
        {"context_id": b"visitor-1"},
        {"experience_ids": "144119"},
        {"experience_ids": 144119},
        {"experience_ids": [144119.0]},
        {"experience_ids": [True]},
        {"experience_ids": ["144119"]},
        {"preview": 1},
        {"preview": "yes"},
        {"ignore_segments": None},
        {"strict": 0},
        {"variation": "826987"},
        {"variation": 826987.0},
    ],
)
def test_wrong_types_raise_type_error(client: qe.Client, emulator: Emulator, kwargs: Any) -> None:
    with pytest.raises(TypeError):
        client.get_experiences(**kwargs)
    assert emulator.requests() == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"experience_ids": [-1]},
        {"experience_ids": [2**64]},
        {"variation": -5},
        {"variation": 2**70},
        {"context_id": ""},
    ],
)
def test_out_of_range_values_raise_value_error(client: qe.Client, emulator: Emulator, kwargs: Any) -> None:
    with pytest.raises(qe.InvalidArgumentError):
        client.get_experiences(**kwargs)
    assert emulator.requests() == []


@pytest.mark.parametrize(
    "settings, error",
    [
        ({"timeout": "1"}, TypeError),
        ({"timeout": True}, TypeError),
        ({"timeout": 0}, ValueError),
        ({"timeout": -1.5}, ValueError),
        ({"timeout": float("nan")}, ValueError),
        ({"timeout": float("inf")}, ValueError),
        ({"retries": -1}, ValueError),
        ({"retries": 1.5}, TypeError),
        ({"retries": 2**40}, ValueError),
        ({"queue_capacity": "many"}, TypeError),
        ({"allowed_callback_hosts": "cdn.example"}, TypeError),
        ({"allowed_callback_hosts": [1]}, TypeError),
        ({"cache_max_entries": 10}, ValueError),
        ({"backoff": 0.1}, TypeError),
        ({"base_url": 5}, TypeError),
    ],
)
def test_bad_client_settings(settings: Any, error: type) -> None:
    with pytest.raises(error):
        qe.Client("retail_shop", **settings)


def test_tracking_id_must_be_a_str() -> None:
    with pytest.raises(TypeError):
        qe.Client(42)  # type: ignore[arg-type]


def test_settings_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        qe.Client("retail_shop", "http://127.0.0.1:1")  # type: ignore[misc]


def test_shown_needs_an_experience_and_a_context_id(client: qe.Client) -> None:
    experience = client.get_experiences("visitor-1").experiences[0]

    with pytest.raises(TypeError):
        client.shown({"id": 144119}, "visitor-1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.shown_later(experience, None)  # type: ignore[arg-type]
    with pytest.raises(qe.InvalidArgumentError):
        client.shown_later(experience, "")


def test_flush_timeout_must_be_positive_seconds(client: qe.Client) -> None:
    with pytest.raises(TypeError):
        client.flush("soon")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.flush(-1)


def test_answer_get_takes_an_int(client: qe.Client) -> None:
    answer = client.get_experiences("visitor-1")

    with pytest.raises(TypeError):
        answer.get("144119")  # type: ignore[arg-type]
    assert answer.get(1) is None
