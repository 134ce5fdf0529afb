"""Every conformance scenario (tests/conformance/*.json) through this
package's API, asserting exact values."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

import pytest

import qubit_experiences as qe

from conftest import SCENARIOS, Emulator, Emulators

GENERATED_ID = re.compile(r"^[0-9a-z]{11}-[0-9a-z]{9}-[0-9a-z]{7}$")
SCENARIO_FILES = sorted(SCENARIOS.glob("*.json"))
KNOWN_KEYS = {
    "name", "description", "fixture", "trackingId", "faults", "query", "http", "failOpen",
    "cookies", "expect", "shown", "expectCallbacks",
}


def test_there_are_scenarios_to_run() -> None:
    assert len(SCENARIO_FILES) >= 25


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_scenario(path: Path, emulators: Emulators) -> None:
    scenario = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(scenario) - KNOWN_KEYS
    assert not unknown, f"this runner does not know {unknown}: teach it rather than skip"
    if "cookies" in scenario:
        check_cookie_helpers(scenario["cookies"])
        return
    emulator = emulators.get(scenario["fixture"])
    if scenario.get("faults"):
        emulator.set_faults(scenario["faults"])

    if "http" in scenario:
        check_raw_request(scenario, emulator)
    else:
        check_client_call(scenario, emulator)


def check_cookie_helpers(checks: List[Dict[str, Any]]) -> None:
    for check in checks:
        function = check["function"]
        if function == "contextIdFromCookieHeader":
            result = qe.context_id_from_cookie_header(check["header"])
        elif function == "cookieDomainForHost":
            result = qe.cookie_domain_for_host(check["host"], check["cookieDomains"])
        elif function == "setCookieHeader":
            result = qe.set_cookie_header(check["contextId"], check["domain"], secure=check["secure"])
        else:
            raise AssertionError(f"unknown cookie helper {function}")
        assert result == check["expect"], check


def check_raw_request(scenario: Dict[str, Any], emulator: Emulator) -> None:
    """`http` scenarios pin the service's answer to a request a correct
    client never sends, so they go through a raw HTTP request."""
    raw = scenario["http"]
    request = urllib.request.Request(emulator.url + raw["path"], method=raw["method"])
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()

    expect = scenario["expect"]
    assert status == expect["status"]
    if status == 200:
        answer = json.loads(body)
        if "experiences" in expect:
            assert [(e["id"], e["variation"], e["isControl"], e["payload"]) for e in answer["experiencePayloads"]] == [
                (e["id"], e["variation"], e["isControl"], e["payload"]) for e in expect["experiences"]
            ]
        if "contextId" in expect:
            assert answer["contextId"] == expect["contextId"]
        if "cookieDomains" in expect:
            assert answer["cookieDomains"] == expect["cookieDomains"]


def check_client_call(scenario: Dict[str, Any], emulator: Emulator) -> None:
    expect = scenario["expect"]
    spec = scenario.get("query", {})
    client = qe.Client(
        scenario.get("trackingId", emulator.tracking_id),
        base_url=emulator.url,
        backoff=(0.001, 0.005),
    )
    kwargs: Dict[str, Any] = {
        "experience_ids": spec.get("experienceIds"),
        "preview": spec.get("preview", False),
        "variation": spec.get("variation"),
        "ignore_segments": spec.get("ignoreSegments", False),
        "strict": spec.get("filter", "tolerant") == "strict",
    }

    with client:
        if scenario.get("failOpen"):
            answer = client.get_experiences_fail_open(spec.get("contextId"), **kwargs)
            check_request_query(expect, emulator)
            check_answer(answer, expect)
            if "error" in expect:
                assert isinstance(answer.error, qe.errors.BY_CODE[expect["error"]])
                assert answer.error.code == expect["error"]
                assert answer.error.status == expect.get("status")
            else:
                assert answer.error is None
            return

        if "error" in expect:
            with pytest.raises(qe.QubitError) as raised:
                client.get_experiences(spec.get("contextId"), **kwargs)
            assert raised.value.code == expect["error"]
            assert type(raised.value) is qe.errors.BY_CODE[expect["error"]]
            assert raised.value.status == expect.get("status")
            check_request_query(expect, emulator)
            return

        answer = client.get_experiences(spec.get("contextId"), **kwargs)
        check_request_query(expect, emulator)
        check_answer(answer, expect)
        assert answer.error is None

        for experience_id in scenario.get("shown", []):
            experience = answer.get(experience_id)
            assert experience is not None, f"experience {experience_id} was not served"
            client.shown(experience, answer.context_id)

    if "expectCallbacks" in scenario:
        callbacks = [{k: v for k, v in c.items() if k != "path"} for c in emulator.callbacks()]
        expected = scenario["expectCallbacks"]
        assert len(callbacks) == len(expected)
        for callback, wanted in zip(callbacks, expected):
            assert callback == wanted


def check_request_query(expect: Dict[str, Any], emulator: Emulator) -> None:
    if "requestQuery" not in expect:
        return
    fetches = [r for r in emulator.requests() if r["path"].endswith("/experiences")]
    assert fetches, "no experiences request was recorded"
    assert fetches[-1]["query"] == expect["requestQuery"]
    assert fetches[-1]["userAgent"].startswith(f"qubit-experiences/{qe._native.CORE_VERSION} (python/")


def check_answer(answer: qe.Answer, expect: Dict[str, Any]) -> None:
    assert answer.source == expect.get("source", "service")
    if "experiences" in expect:
        served: List[Dict[str, Any]] = [
            {"id": e.id, "variation": e.variation, "isControl": e.is_control, "payload": e.payload}
            for e in answer
        ]
        wanted = [{k: e[k] for k in ("id", "variation", "isControl", "payload")} for e in expect["experiences"]]
        assert served == wanted
        for experience, spec in zip(answer, expect["experiences"]):
            assert experience.variation_master_id == experience.variation
            if "payloadJson" in spec:
                assert experience.payload_json == spec["payloadJson"]
            # The dict is exactly what Python's own json module reads.
            assert experience.payload == json.loads(experience.payload_json)
    if "contextId" in expect:
        assert answer.context_id == expect["contextId"]
        assert answer.context_id_generated is False
    if expect.get("contextIdGenerated"):
        assert GENERATED_ID.match(answer.context_id), answer.context_id
        assert answer.context_id_generated is True
    if "cookieDomains" in expect:
        assert list(answer.cookie_domains) == expect["cookieDomains"]
    if "missingExperienceIds" in expect:
        assert list(answer.missing_experience_ids) == expect["missingExperienceIds"]
