"""Payloads reach Python exactly: integers at any size, floats, unicode,
escapes and nesting, as Python's own json module would read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import qubit_experiences as qe

from conftest import Emulators

# Written as raw text: the emulator serves payloads verbatim, so these
# exact bytes reach the client.
TRICKY_PAYLOAD = r"""{
  "int64_max": 9223372036854775807, "int64_min": -9223372036854775808,
  "u64_max": 18446744073709551615, "beyond_u64": 18446744073709551617,
  "huge": 123456789012345678901234567890123456789012345678901234567890,
  "negative_huge": -98765432109876543210987654321,
  "above_2_53": 9007199254740993, "zero": 0, "negative_zero": -0,
  "float": 0.1, "exponent": 1.5e+300, "small": 1E-7, "negative_float": -0.0,
  "escapes": "quote \" backslash \\ slash \/ tab \t newline \n \b\f\r",
  "unicode_escapes": "caf\u00e9 \ud83d\ude80 \u0000",
  "lone_surrogate": "\ud800x",
  "raw_unicode": "送料無料 شحن مجاني 🚚",
  "nested": {"a": [1, [2, [3, {"b": null}]], {}], "c": {"d": {"e": [true, false]}}},
  "empty_list": [], "empty_object": {},
  "duplicate": 1, "duplicate": 2,
  "spaced"  :  [ 1 , 2 ]
}"""


@pytest.fixture(scope="module")
def tricky_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fixture = """{
      "trackingId": "payload_lab",
      "cookieDomains": [],
      "segments": [],
      "experiences": [
        {"id": 500001, "name": "Tricky payloads", "status": "live",
         "iterations": [{"id": 600001, "published": true,
           "variations": [{"id": 700001, "masterId": 800001, "isControl": false,
                           "allocation": 1, "payload": PAYLOAD}]}]}
      ]
    }""".replace("PAYLOAD", TRICKY_PAYLOAD)
    path = tmp_path_factory.mktemp("fixtures") / "payload_lab.json"
    path.write_text(fixture, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tricky(tricky_fixture: Path, emulators: Emulators) -> qe.Experience:
    emulator = emulators.get(str(tricky_fixture))
    client = qe.Client("payload_lab", base_url=emulator.url)
    return client.get_experiences("visitor-1").experiences[0]


def test_payload_json_is_the_exact_text_served(tricky: qe.Experience) -> None:
    assert tricky.payload_json == TRICKY_PAYLOAD


def test_payload_equals_what_pythons_json_module_reads(tricky: qe.Experience) -> None:
    assert tricky.payload == json.loads(TRICKY_PAYLOAD)


@pytest.mark.parametrize(
    "key, value",
    [
        ("int64_max", 2**63 - 1),
        ("int64_min", -(2**63)),
        ("u64_max", 2**64 - 1),
        ("beyond_u64", 2**64 + 1),
        ("huge", 123456789012345678901234567890123456789012345678901234567890),
        ("negative_huge", -98765432109876543210987654321),
        ("above_2_53", 2**53 + 1),
        ("negative_zero", 0),
    ],
)
def test_integers_are_exact_python_ints(tricky: qe.Experience, key: str, value: int) -> None:
    assert type(tricky.payload[key]) is int
    assert tricky.payload[key] == value


def test_floats_strings_and_nesting(tricky: qe.Experience) -> None:
    payload: Any = tricky.payload

    assert payload["float"] == 0.1
    assert payload["exponent"] == 1.5e300
    assert payload["small"] == 1e-7
    assert str(payload["negative_float"]) == "-0.0"
    assert payload["escapes"] == 'quote " backslash \\ slash / tab \t newline \n \b\f\r'
    assert payload["unicode_escapes"] == "café 🚀 \x00"
    assert payload["lone_surrogate"] == "\ud800x"
    assert payload["raw_unicode"] == "送料無料 شحن مجاني 🚚"
    assert payload["nested"]["a"][1][1][1] == {"b": None}
    assert payload["nested"]["c"]["d"]["e"] == [True, False]
    assert payload["empty_list"] == [] and payload["empty_object"] == {}
    assert payload["duplicate"] == 2
    assert payload["spaced"] == [1, 2]


def test_payload_is_built_once_and_shared(tricky: qe.Experience) -> None:
    assert tricky.payload is tricky.payload


def test_retail_big_integers_survive(emulators: Emulators) -> None:
    emulator = emulators.get("retail.json")
    answer = qe.Client("retail_shop", base_url=emulator.url).get_experiences("visitor-1")

    payload = answer.get(152877).payload  # type: ignore[union-attr]

    assert payload["loyaltyPointsCap"] == 9007199254740993
    assert payload["orderIdSeed"] == 18446744073709551617


def test_answer_to_json_keeps_payloads_verbatim(tricky: qe.Experience, tricky_fixture: Path, emulators: Emulators) -> None:
    emulator = emulators.get(str(tricky_fixture))
    answer = qe.Client("payload_lab", base_url=emulator.url).get_experiences("visitor-1")

    assert TRICKY_PAYLOAD in answer.to_json()
    assert json.loads(answer.to_json())["experiencePayloads"][0]["payload"] == tricky.payload
