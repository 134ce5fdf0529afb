"""Usage examples checked by `mypy --strict` (scripts/test-python.sh) and
run by test_typing_examples.py: the stubs describe the real API."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import qubit_experiences as qe


def render(base_url: str, cookie_header: str) -> List[str]:
    client: qe.Client = qe.Client("retail_shop", base_url=base_url, timeout=1.0, retries=1, cache_ttl=30)
    context_id: Optional[str] = qe.context_id_from_cookie_header(cookie_header)
    answer: qe.Answer = client.get_experiences_fail_open(context_id, [144119, 151203])

    lines: List[str] = []
    for experience in answer:
        payload: Dict[str, Any] = experience.payload
        lines.append(f"{experience.id}:{experience.variation}:{experience.is_control}:{len(payload)}")
        queued: bool = client.shown_later(experience, answer.context_id)
        assert queued
    error: Optional[qe.QubitError] = answer.error
    assert error is None and answer.source == "service"
    missing: tuple[int, ...] = answer.missing_experience_ids
    assert missing == ()
    if answer.context_id_generated:
        domain = qe.cookie_domain_for_host("shop.example", answer.cookie_domains)
        lines.append(qe.set_cookie_header(answer.context_id, domain, secure=True))
    client.flush(5)
    stats: Dict[str, Any] = client.stats()
    assert stats["callbacks_sent"] == len(answer)
    client.close()
    return lines


def handle_errors(base_url: str) -> str:
    with qe.Client("retail_shop", base_url=base_url) as client:
        try:
            client.get_experiences("visitor-1", [999999], strict=True)
        except qe.NotFoundError as error:
            status: Optional[int] = error.status
            return f"{error.code}:{status}"
        except qe.QubitError as error:
            return error.code
    return "no error"


async def render_async(base_url: str) -> int:
    async with qe.AsyncClient("retail_shop", base_url=base_url) as client:
        answer = await client.get_experiences("visitor-1", preview=True)
        experience: Optional[qe.Experience] = answer.get(144119)
        if experience is not None:
            await client.shown(experience, answer.context_id)
        await client.flush(2.0)
        return len(answer)


def run_all(base_url: str) -> None:
    assert render(base_url, "_qubitTracker=visitor-1") == ["144119:826986:True:0", "151203:831151:False:4"]
    assert handle_errors(base_url) == "NOT_FOUND:404"
    assert asyncio.run(render_async(base_url)) >= 1
