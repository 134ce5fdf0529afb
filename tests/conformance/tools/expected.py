#!/usr/bin/env python3
"""An independent implementation of the emulator's serving model.

Written from docs/emulator.md alone (no code shared with the Rust emulator),
so that the document, the emulator and the conformance scenarios check each
other. Standard library only.

Print what a request would be served:

    expected.py emulator/fixtures/retail.json --context-id visitor-1 [--preview]
        [--ignore-segments] [--variation 826987] [--experience-ids 144119,151203]

Check every scenario's expected experiences and callback decisions:

    expected.py --check tests/conformance
"""

import argparse
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "emulator" / "fixtures"


def bucket(tracking_id, experience_id, context_id):
    """The documented hash: SHA-256, first 8 bytes big-endian, top 53 bits / 2^53."""
    text = f"{tracking_id}:{experience_id}:{context_id}".encode("utf-8")
    head = int.from_bytes(hashlib.sha256(text).digest()[:8], "big")
    return (head >> 11) / float(1 << 53)


def choose(variations, value):
    cumulative = 0.0
    for variation in variations:
        cumulative += variation["allocation"]
        if value < cumulative:
            return variation
    return [v for v in variations if v["allocation"] > 0][-1]


def current_iteration(experience, preview):
    def latest(published):
        matching = [i for i in experience["iterations"] if i["published"] == published]
        return matching[-1] if matching else None

    if experience["status"] == "live" and not preview:
        return latest(True)
    if experience["status"] in ("live", "paused") and preview:
        return latest(False) or latest(True)
    return None


def raw_payloads(text):
    """The exact text of every `"payload":` value, in document order."""
    decoder = json.JSONDecoder()
    raws = []
    for match in re.finditer(r'"payload"\s*:\s*', text):
        _, end = decoder.raw_decode(text, match.end())
        raws.append(text[match.end():end])
    return raws


def load_fixture(path):
    text = pathlib.Path(path).read_text(encoding="utf-8")
    fixture = json.loads(text)
    raws = iter(raw_payloads(text))
    for experience in fixture["experiences"]:
        for iteration in experience["iterations"]:
            for variation in iteration["variations"]:
                variation["payloadJson"] = next(raws)
    return fixture


def serve(fixture, context_id, preview=False, ignore_segments=False, variation=None,
          experience_ids=None):
    """Returns ("ok", [entries]) or ("not_found", reason)."""
    by_id = {e["id"]: e for e in fixture["experiences"]}
    for wanted in experience_ids or []:
        if wanted not in by_id:
            return "not_found", f"experience {wanted} does not exist"
        if by_id[wanted]["status"] == "archived":
            return "not_found", f"experience {wanted} is archived"

    segments = {s["id"]: set(s["contextIds"]) for s in fixture.get("segments", [])}
    served = []
    for experience in fixture["experiences"]:
        if experience_ids is not None and experience["id"] not in experience_ids:
            continue
        iteration = current_iteration(experience, preview)
        if iteration is None:
            continue
        targeted = iteration.get("segments", [])
        if not ignore_segments and targeted and not any(
                context_id in segments[s] for s in targeted):
            continue

        value = bucket(fixture["trackingId"], experience["id"], context_id)
        if variation is None:
            chosen = choose(iteration["variations"], value)
        else:
            forced = [v for v in iteration["variations"] if v["masterId"] == variation]
            if not forced:
                continue
            chosen = forced[0]
        served.append({
            "id": experience["id"],
            "variation": chosen["masterId"],
            "isControl": chosen["isControl"],
            "payload": json.loads(chosen["payloadJson"]),
            "payloadJson": chosen["payloadJson"],
            "decision": {
                "ExperienceId": experience["id"],
                "IterationId": iteration["id"],
                "VariationId": chosen["id"],
                "VariationMasterId": chosen["masterId"],
                "IsControl": chosen["isControl"],
                "TrafficAllocation": chosen["allocation"],
                "Probability": value,
                "TrackingId": fixture["trackingId"],
                "ContextId": context_id,
            },
        })
    return "ok", served


def check_scenario(path):
    """Problems found in one scenario file, as strings."""
    scenario = json.loads(path.read_text(encoding="utf-8"))
    if "cookies" in scenario:
        return []
    query = scenario.get("query")
    expect = scenario["expect"]
    if query is None or "contextId" not in query or "experiences" not in expect:
        return []
    # An answer standing in for a failure has nothing for the model to check.
    if "error" in expect:
        return []
    fixture = load_fixture(FIXTURES / scenario["fixture"])
    if scenario.get("trackingId", fixture["trackingId"]) != fixture["trackingId"]:
        return []

    strict = query.get("filter", "tolerant") == "strict"
    wanted = query.get("experienceIds")
    outcome, served = serve(
        fixture, query["contextId"], query.get("preview", False),
        query.get("ignoreSegments", False), query.get("variation"),
        wanted if strict else None)
    if outcome != "ok":
        return [f"model answers 404 ({served}) but the scenario expects experiences"]
    if wanted is not None and not strict:
        served = [entry for entry in served if entry["id"] in wanted]

    problems = []
    got = [{k: e[k] for k in ("id", "variation", "isControl", "payload")} for e in served]
    listed = [{k: e[k] for k in ("id", "variation", "isControl", "payload")}
              for e in expect["experiences"]]
    if got != listed:
        problems.append(f"experiences: model {got} != scenario {listed}")
    for entry in expect["experiences"]:
        if "payloadJson" in entry:
            model = next((e for e in served if e["id"] == entry["id"]), None)
            if model is None or model["payloadJson"] != entry["payloadJson"]:
                problems.append(f"payloadJson of {entry['id']} differs from the fixture text")

    decisions = {e["id"]: e["decision"] for e in served}
    for callback in scenario.get("expectCallbacks", []):
        decision = callback["decision"]
        if decisions.get(decision["ExperienceId"]) != decision:
            problems.append(f"decision {decision} != model {decisions.get(decision['ExperienceId'])}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixture", nargs="?")
    parser.add_argument("--context-id")
    parser.add_argument("--preview", action="store_true")
    parser.add_argument("--ignore-segments", action="store_true")
    parser.add_argument("--variation", type=int)
    parser.add_argument("--experience-ids")
    parser.add_argument("--check", metavar="SCENARIO_DIR")
    args = parser.parse_args()

    if args.check:
        files = sorted(pathlib.Path(args.check).glob("*.json"))
        failed = 0
        for path in files:
            problems = check_scenario(path)
            for problem in problems:
                print(f"{path.name}: {problem}")
            failed += bool(problems)
        print(f"{len(files) - failed} passed, {failed} failed")
        return 1 if failed else 0

    if not args.fixture or args.context_id is None:
        parser.error("give a fixture and --context-id, or --check DIR")
    ids = [int(i) for i in args.experience_ids.split(",")] if args.experience_ids else None
    outcome, served = serve(load_fixture(args.fixture), args.context_id, args.preview,
                            args.ignore_segments, args.variation, ids)
    print(json.dumps(served if outcome == "ok" else {"status": 404, "reason": served},
                     ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
