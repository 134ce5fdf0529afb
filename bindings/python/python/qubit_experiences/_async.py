"""``AsyncClient``: the client's blocking calls, awaited off the event loop."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Callable, Iterable, Optional, Type, TypeVar

from ._native import Answer, Client, Experience

_T = TypeVar("_T")


class AsyncClient:
    """Awaitable variants of ``Client``'s calls for asyncio applications.

    Each network call or wait runs on a small thread pool of its own, with
    the GIL released, so the event loop keeps running while it waits.
    Takes the same keyword arguments as ``Client``, or wraps an existing
    one with ``AsyncClient.wrap(client)``.
    """

    def __init__(self, tracking_id: str, *, max_concurrency: int = 16, **settings: Any) -> None:
        self._setup(Client(tracking_id, **settings), max_concurrency)

    @classmethod
    def wrap(cls, client: Client, *, max_concurrency: int = 16) -> "AsyncClient":
        """An ``AsyncClient`` sharing ``client``'s pool, cache and queue."""
        wrapper = cls.__new__(cls)
        wrapper._setup(client, max_concurrency)
        return wrapper

    def _setup(self, client: Client, max_concurrency: int) -> None:
        self._client = client
        self._executor = ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix="qubit-experiences"
        )
        self._closed = False

    @property
    def client(self) -> Client:
        """The blocking client underneath."""
        return self._client

    @property
    def tracking_id(self) -> str:
        return self._client.tracking_id

    def _submit(self, call: Callable[..., _T], *args: Any, **kwargs: Any) -> "asyncio.Future[_T]":
        """Runs ``call`` off the event loop: on the client's thread pool, or,
        once ``close`` shut that down, on the loop's default executor, so a
        call after ``close`` behaves as the blocking client's does (raises
        ``ClosedError``, answers the fallback, or returns for a repeated
        ``close``) instead of failing to be scheduled."""
        executor = None if self._closed else self._executor
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(executor, functools.partial(call, *args, **kwargs))

    async def get_experiences(
        self,
        context_id: Optional[str] = None,
        experience_ids: Optional[Iterable[int]] = None,
        *,
        preview: bool = False,
        variation: Optional[int] = None,
        ignore_segments: bool = False,
        strict: bool = False,
        timeout: Optional[float] = None,
    ) -> Answer:
        """``Client.get_experiences``, awaited."""
        return await self._submit(
            self._client.get_experiences,
            context_id,
            experience_ids,
            preview=preview,
            variation=variation,
            ignore_segments=ignore_segments,
            strict=strict,
            timeout=timeout,
        )

    async def get_experiences_fail_open(
        self,
        context_id: Optional[str] = None,
        experience_ids: Optional[Iterable[int]] = None,
        *,
        preview: bool = False,
        variation: Optional[int] = None,
        ignore_segments: bool = False,
        strict: bool = False,
        timeout: Optional[float] = None,
    ) -> Answer:
        """``Client.get_experiences_fail_open``, awaited."""
        return await self._submit(
            self._client.get_experiences_fail_open,
            context_id,
            experience_ids,
            preview=preview,
            variation=variation,
            ignore_segments=ignore_segments,
            strict=strict,
            timeout=timeout,
        )

    async def shown(self, experience: Experience, context_id: str) -> None:
        """``Client.shown``, awaited."""
        await self._submit(self._client.shown, experience, context_id)

    def shown_later(self, experience: Experience, context_id: str) -> bool:
        """``Client.shown_later``: never blocks, so not a coroutine."""
        return self._client.shown_later(experience, context_id)

    async def flush(self, timeout: Optional[float] = None) -> None:
        """``Client.flush``, awaited."""
        await self._submit(self._client.flush, timeout)

    async def close(self, timeout: Optional[float] = None) -> None:
        """``Client.close``, awaited; also shuts the thread pool down.
        Idempotent; later calls raise ``ClosedError`` as the client's do."""
        closing = self._submit(self._client.close, timeout)
        if not self._closed:
            self._closed = True
            # The close already submitted still runs; nothing new is taken.
            self._executor.shutdown(wait=False)
        await closing

    def stats(self) -> "dict[str, Any]":
        """``Client.stats``: no network, so not a coroutine."""
        return self._client.stats()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.close()
