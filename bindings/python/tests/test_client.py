"""The client's API in Python's idiom: typed answers, callbacks, cache,
stats, helpers and logging."""

from __future__ import annotations

import json
import logging
import re

import pytest

import qubit_experiences as qe

from conftest import Emulator


@pytest.fixture()
def client(emulator: Emulator) -> qe.Client:
    return qe.Client(emulator.tracking_id, base_url=emulator.url)


def test_answer_is_a_typed_iterable_of_experiences(client: qe.Client) -> None:
    answer = client.get_experiences("visitor-1")

    assert len(answer) == 3 and bool(answer)
    assert [e.id for e in answer] == [144119, 151203, 152877]
    assert answer[0] is answer.experiences[0] and answer[-1].id == 152877
    first = answer.get(144119)
    assert first is not None and first == answer[0]
    assert (first.id, first.variation, first.variation_master_id, first.is_control) == (144119, 826986, 826986, True)
    assert first.payload == {} and first.payload_json == "{}"
    assert first.callback_url.startswith(f"{answer_base(client)}/v1/callback?data=")
    assert answer.cookie_domains == ("shop.example", "shop.example.co.uk")
    assert answer.missing_experience_ids == ()
    assert repr(first) == "Experience(id=144119, variation=826986, is_control=True)"
    assert json.loads(answer.to_json())["contextId"] == "visitor-1"


def answer_base(client: qe.Client) -> str:
    return client.get_experiences("visitor-1").experiences[0].callback_url.split("/v1/")[0]


def test_tolerant_filter_reports_missing_ids(client: qe.Client) -> None:
    answer = client.get_experiences("visitor-1", [152877, 999999, 152877])

    assert [e.id for e in answer] == [152877]
    assert answer.missing_experience_ids == (999999,)


def test_callback_decision_can_be_decoded(client: qe.Client) -> None:
    experience = client.get_experiences("visitor-1").experiences[0]

    decision = qe.decode_callback_url(experience.callback_url)

    assert decision["ExperienceId"] == 144119
    assert decision["ContextId"] == "visitor-1"
    with pytest.raises(qe.InvalidArgumentError):
        qe.decode_callback_url("https://sse.qubit.com/v1/callback")


def test_shown_later_delivers_in_the_background_and_deduplicates(emulator: Emulator) -> None:
    client = qe.Client(emulator.tracking_id, base_url=emulator.url, dedupe_window=60)
    experience = client.get_experiences("visitor-1").experiences[1]

    assert client.shown_later(experience, "visitor-1") is True
    assert client.shown_later(experience, "visitor-1") is False
    client.flush(5)

    assert [c["body"] for c in emulator.callbacks()] == ['{"id":"visitor-1"}']
    stats = client.stats()
    assert (stats["callbacks_queued"], stats["callbacks_sent"], stats["callbacks_deduplicated"]) == (1, 1, 1)


def test_context_manager_closes_and_delivers(emulator: Emulator) -> None:
    with qe.Client(emulator.tracking_id, base_url=emulator.url) as client:
        answer = client.get_experiences("visitor-1")
        client.shown_later(answer.experiences[0], "visitor-1")

    assert client.closed
    assert len(emulator.callbacks()) == 1


def test_cache_answers_repeat_fetches(emulator: Emulator) -> None:
    client = qe.Client(emulator.tracking_id, base_url=emulator.url, cache_ttl=60, cache_max_entries=10)

    first = client.get_experiences("visitor-1")
    second = client.get_experiences("visitor-1")

    assert (first.source, second.source) == ("service", "cache")
    stats = client.stats()
    assert (stats["fetches"], stats["requests"], stats["cache_hits"]) == (2, 1, 1)
    assert stats["errors"] == {}


def test_user_agent_names_the_python_binding(client: qe.Client, emulator: Emulator) -> None:
    client.get_experiences("visitor-1")

    agent = emulator.requests()[-1]["userAgent"]
    assert re.fullmatch(r"qubit-experiences/\S+ \(python/3\.\d+\.\d+\)", agent), agent


def test_cookie_helpers() -> None:
    header = "theme=dark; _qubitTracker=q8eltsc1e34-0k72y37kj-jaaa50x; other=1"

    assert qe.context_id_from_cookie_header(header) == "q8eltsc1e34-0k72y37kj-jaaa50x"
    assert qe.context_id_from_cookie_header("theme=dark") is None
    assert qe.cookie_domain_for_host("www.shop.example:8080", ["shop.example"]) == "shop.example"
    assert qe.cookie_domain_for_host("elsewhere.example", ("shop.example",)) is None
    assert qe.set_cookie_header("a;b", "shop.example", secure=True) == (
        "_qubitTracker=a%3Bb; Domain=shop.example; Path=/; Max-Age=31536000; SameSite=Lax; Secure"
    )
    assert qe.set_cookie_header("visitor-1") == "_qubitTracker=visitor-1; Path=/; Max-Age=31536000; SameSite=Lax"
    assert qe.COOKIE_NAME == "_qubitTracker"


def test_generated_context_ids_have_the_cookie_format() -> None:
    ids = {qe.generate_context_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(re.fullmatch(r"[0-9a-z]{11}-[0-9a-z]{9}-[0-9a-z]{7}", i) for i in ids)


def test_version_is_exposed() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", qe.__version__)


def test_rust_log_records_reach_python_logging(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "status", "status": 503}])
    client = qe.Client(emulator.tracking_id, base_url=emulator.url, retries=1, backoff=(0.001, 0.001))

    with caplog.at_level(logging.DEBUG, logger="qubit_experiences"):
        client.get_experiences_fail_open("visitor-1")

    records = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert ("qubit_experiences.client", "WARNING", "serving default content: the service answered HTTP 503 with an empty body") in records
    assert any(name == "qubit_experiences.retry" and level == "DEBUG" for name, level, _ in records), records
