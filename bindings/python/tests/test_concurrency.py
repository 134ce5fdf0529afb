"""The GIL is released during network calls and waits: threads fetch in
parallel, and an asyncio event loop keeps running during fetches."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import qubit_experiences as qe

from conftest import Emulator

LATENCY = 0.3


def slow(emulator: Emulator) -> None:
    emulator.set_faults([{"on": "experiences", "kind": "latency", "ms": int(LATENCY * 1000)}])


def test_eight_threads_fetch_in_parallel(emulator: Emulator) -> None:
    slow(emulator)
    client = qe.Client(emulator.tracking_id, base_url=emulator.url, timeout=5)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: client.get_experiences(f"visitor-{n}"), range(8)))
    wall = time.perf_counter() - started

    assert [a.context_id for a in answers] == [f"visitor-{n}" for n in range(8)]
    # Serialised by the GIL this would take 8 x 0.3 s = 2.4 s.
    assert wall < 4 * LATENCY, f"8 parallel fetches took {wall:.2f} s"


def test_python_code_runs_while_a_fetch_waits(emulator: Emulator) -> None:
    slow(emulator)
    client = qe.Client(emulator.tracking_id, base_url=emulator.url, timeout=5)
    done = threading.Event()
    fetcher = threading.Thread(target=lambda: (client.get_experiences("visitor-1"), done.set()))

    fetcher.start()
    spins = 0
    while not done.is_set():
        spins += 1
    fetcher.join()

    # With the GIL held during the fetch, this loop would barely run.
    assert spins > 100_000


def test_event_loop_keeps_ticking_during_fetches(emulator: Emulator) -> None:
    slow(emulator)

    async def scenario() -> tuple[int, float, list[str]]:
        async with qe.AsyncClient(emulator.tracking_id, base_url=emulator.url, timeout=5) as client:
            ticks = 0
            stop = asyncio.Event()

            async def ticker() -> None:
                nonlocal ticks
                while not stop.is_set():
                    ticks += 1
                    await asyncio.sleep(0.01)

            ticking = asyncio.create_task(ticker())
            started = time.perf_counter()
            answers = await asyncio.gather(*(client.get_experiences(f"visitor-{n}") for n in range(4)))
            wall = time.perf_counter() - started
            stop.set()
            await ticking
            return ticks, wall, [a.context_id for a in answers]

    ticks, wall, context_ids = asyncio.run(scenario())

    assert context_ids == [f"visitor-{n}" for n in range(4)]
    assert wall < 3 * LATENCY
    # A 10 ms ticker over >= 0.3 s: a blocked loop would tick once or twice.
    assert ticks >= 15, ticks


def test_async_shown_and_flush(emulator: Emulator) -> None:
    async def scenario() -> None:
        async with qe.AsyncClient(emulator.tracking_id, base_url=emulator.url) as client:
            answer = await client.get_experiences_fail_open("visitor-1")
            await client.shown(answer.experiences[0], answer.context_id)
            assert client.shown_later(answer.experiences[1], answer.context_id) is True
            await client.flush(5)

    asyncio.run(scenario())

    assert len(emulator.callbacks()) == 2
