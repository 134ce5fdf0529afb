# Type stubs of the native module. The public names are re-exported by
# `qubit_experiences`; see the docstrings there and in the Rust source.

from os import PathLike
from types import TracebackType
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Type, Union, final

from .errors import QubitError

VERSION: str
CORE_VERSION: str
COOKIE_NAME: str
ERROR_CODES: Dict[str, int]

__all__ = [
    "VERSION",
    "CORE_VERSION",
    "COOKIE_NAME",
    "ERROR_CODES",
    "Client",
    "Answer",
    "Experience",
    "close_all",
    "context_id_from_cookie_header",
    "cookie_domain_for_host",
    "set_cookie_header",
    "generate_context_id",
    "decode_callback_url",
    "_panic_for_tests",
]

_Seconds = Union[int, float]

@final
class Experience:
    """One experience the visitor is bucketed into. Immutable."""

    @property
    def id(self) -> int: ...
    @property
    def variation(self) -> int:
        """The master id of the variation the visitor was bucketed into."""
    @property
    def variation_master_id(self) -> int: ...
    @property
    def is_control(self) -> bool: ...
    @property
    def callback_url(self) -> str: ...
    @property
    def payload(self) -> Dict[str, Any]:
        """The payload as a dict; integers exact at any size."""
    @property
    def payload_json(self) -> str:
        """The payload's exact JSON text."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Answer:
    """The experiences for one visitor, and what to do with its cookie."""

    @property
    def experiences(self) -> List[Experience]: ...
    @property
    def context_id(self) -> str: ...
    @property
    def context_id_generated(self) -> bool: ...
    @property
    def cookie_domains(self) -> Tuple[str, ...]: ...
    @property
    def missing_experience_ids(self) -> Tuple[int, ...]: ...
    @property
    def source(self) -> str:
        """``"service"``, ``"cache"``, ``"stale_cache"`` or ``"fallback"``."""
    @property
    def error(self) -> Optional[QubitError]: ...
    def get(self, id: int) -> Optional[Experience]: ...
    def to_json(self) -> str: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> Experience: ...
    def __iter__(self) -> Iterator[Experience]: ...
    def __bool__(self) -> bool: ...

@final
class Client:
    """A client of the Server Experiences API for one tracking id."""

    def __new__(
        cls,
        tracking_id: str,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[_Seconds] = None,
        connect_timeout: Optional[_Seconds] = None,
        retries: Optional[int] = None,
        backoff: Optional[Tuple[_Seconds, _Seconds]] = None,
        max_response_bytes: Optional[int] = None,
        cache_ttl: Optional[_Seconds] = None,
        cache_max_entries: Optional[int] = None,
        serve_stale_for: Optional[_Seconds] = None,
        allowed_callback_hosts: Optional[Iterable[str]] = None,
        callback_timeout: Optional[_Seconds] = None,
        queue_capacity: Optional[int] = None,
        callback_workers: Optional[int] = None,
        dedupe_window: Optional[_Seconds] = None,
        dedupe_max_entries: Optional[int] = None,
        proxy: Optional[str] = None,
        extra_ca_file: Optional[Union[str, "PathLike[str]"]] = None,
        max_idle_connections: Optional[int] = None,
    ) -> "Client": ...
    @property
    def tracking_id(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def get_experiences(
        self,
        context_id: Optional[str] = None,
        experience_ids: Optional[Iterable[int]] = None,
        *,
        preview: bool = False,
        variation: Optional[int] = None,
        ignore_segments: bool = False,
        strict: bool = False,
        timeout: Optional[_Seconds] = None,
    ) -> Answer: ...
    def get_experiences_fail_open(
        self,
        context_id: Optional[str] = None,
        experience_ids: Optional[Iterable[int]] = None,
        *,
        preview: bool = False,
        variation: Optional[int] = None,
        ignore_segments: bool = False,
        strict: bool = False,
        timeout: Optional[_Seconds] = None,
    ) -> Answer: ...
    def shown(self, experience: Experience, context_id: str) -> None: ...
    def shown_later(self, experience: Experience, context_id: str) -> bool: ...
    def flush(self, timeout: Optional[_Seconds] = None) -> None: ...
    def close(self, timeout: Optional[_Seconds] = None) -> None: ...
    def stats(self) -> Dict[str, Any]: ...
    def __enter__(self) -> "Client": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool: ...

def context_id_from_cookie_header(header: str) -> Optional[str]: ...
def cookie_domain_for_host(host: str, cookie_domains: Iterable[str]) -> Optional[str]: ...
def set_cookie_header(context_id: str, domain: Optional[str] = None, *, secure: bool = False) -> str: ...
def generate_context_id() -> str: ...
def decode_callback_url(callback_url: str) -> Dict[str, Any]: ...
def close_all(timeout: Optional[_Seconds] = None) -> None: ...
def _panic_for_tests() -> None: ...
