"""Fetch throughput on loopback: requests.Session + json vs this package.

Not run by the tests. Starts the retail emulator through the CLI, then
times the same fetch (a returning visitor's three experiences, payloads
turned into Python objects) both ways, single-threaded:

    pip install requests ./bindings/python
    cargo build -p qubit-experiences-cli
    python bindings/python/bench/fetch_bench.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import qubit_experiences as qe

REPO = Path(__file__).resolve().parents[3]


def per_call(fetch: Callable[[], Any], seconds: float) -> float:
    for _ in range(200):  # warm up connections and caches
        fetch()
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(100):
            fetch()
        calls += 100
    return (time.perf_counter() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    cli = os.environ.get("QUBIT_EXPERIENCES_CLI", str(REPO / "target" / "debug" / "qubit-experiences"))
    emulator = subprocess.Popen([cli, "emulator", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        assert emulator.stdout is not None
        base_url = emulator.stdout.readline().strip()
        url = f"{base_url}/v1/retail_shop/experiences"

        import requests  # only the benchmark needs it

        session = requests.Session()

        def with_requests() -> Any:
            response = session.get(url, params={"contextId": "visitor-1"}, timeout=1.0)
            response.raise_for_status()
            return [e["payload"] for e in response.json()["experiencePayloads"]]

        client = qe.Client("retail_shop", base_url=base_url)

        def with_package() -> Any:
            return [e.payload for e in client.get_experiences("visitor-1")]

        assert with_requests() == with_package()
        baseline = per_call(with_requests, args.seconds)
        ours = per_call(with_package, args.seconds)
        print(f"requests.Session + json: {baseline * 1e6:8.1f} us/call")
        print(f"qubit_experiences:       {ours * 1e6:8.1f} us/call")
        print(f"throughput ratio:        {baseline / ours:8.2f}x")
    finally:
        emulator.kill()
        emulator.wait()


if __name__ == "__main__":
    main()
