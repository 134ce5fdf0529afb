"""Closing: an ``AsyncClient`` behaves like the blocking client after
``close``."""

from __future__ import annotations

import asyncio

import pytest

import qubit_experiences as qe

from conftest import Emulator


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
