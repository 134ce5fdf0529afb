"""Closing: an ``AsyncClient`` behaves like the blocking client after
``close``, and the interpreter's exit is bounded by one deadline however
many clients are stuck."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time

import pytest

import qubit_experiences as qe

from conftest import FIXTURES, Emulator


def test_async_client_after_close_behaves_like_the_blocking_client(emulator: Emulator) -> None:
    async def scenario() -> None:
        async with qe.AsyncClient(emulator.tracking_id, base_url=emulator.url) as client:
            answer = await client.get_experiences("visitor-1")
            await client.close()
            await client.close()  # idempotent, and __aexit__ closes once more

            with pytest.raises(qe.ClosedError):
                await client.get_experiences("visitor-1")
            with pytest.raises(qe.ClosedError):
                await client.shown(answer.experiences[0], "visitor-1")
            with pytest.raises(qe.ClosedError):
                client.shown_later(answer.experiences[0], "visitor-1")
            fallback = await client.get_experiences_fail_open("visitor-1")
            assert (fallback.source, len(fallback), fallback.context_id) == ("fallback", 0, "visitor-1")
            assert isinstance(fallback.error, qe.ClosedError)
            await client.flush(1)
            assert client.client.closed

    asyncio.run(scenario())


def test_async_close_waits_for_the_close_it_started(emulator: Emulator) -> None:
    async def scenario() -> int:
        client = qe.AsyncClient(emulator.tracking_id, base_url=emulator.url)
        answer = await client.get_experiences("visitor-1")
        client.shown_later(answer.experiences[0], "visitor-1")
        await asyncio.gather(client.close(5), client.close(5))
        return len(emulator.callbacks())

    assert asyncio.run(scenario()) == 1


EXIT_SCRIPT = """
import sys, time
import qubit_experiences as qe

url = sys.argv[1]
clients = [qe.Client("retail_shop", base_url=url, callback_timeout=30) for _ in range(4)]
for client in clients:
    answer = client.get_experiences("visitor-1")
    client.shown_later(answer.experiences[0], "visitor-1")
time.sleep(0.2)  # every callback is now waiting for the slow service
print(time.monotonic(), flush=True)
"""


def test_exit_closes_every_stuck_client_within_one_deadline() -> None:
    # An emulator of its own: its callbacks answer long after this test.
    slow = Emulator(FIXTURES / "retail.json")
    try:
        slow.set_faults([{"on": "callback", "kind": "latency", "ms": 20000}])
        process = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT), slow.url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        exited = time.monotonic()
    finally:
        slow.stop()

    assert process.returncode == 0, process.stderr
    exit_took = exited - float(process.stdout.strip())
    # One 2 s deadline for all four, not 2 s each (8 s).
    assert 1.5 < exit_took < 3.5, f"exit took {exit_took:.2f} s"
