"""The WSGI example app, served on loopback and exercised end to end:
cookie read, fetch, callbacks, cookie set for a new visitor."""

from __future__ import annotations

import importlib.util
import json
import re
import threading
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterator, Tuple
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import qubit_experiences as qe

from conftest import Emulator

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "wsgi_app.py"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wsgi_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def site(emulator: Emulator) -> Iterator[Tuple[str, qe.Client]]:
    client = qe.Client(emulator.tracking_id, base_url=emulator.url)
    server = make_server("127.0.0.1", 0, load_example().make_app(client), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", client
    server.shutdown()
    server.server_close()
    client.close()


def get(url: str, headers: Dict[str, str]) -> Tuple[str, Dict[str, str]]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
        return response.read().decode(), dict(response.headers)


def test_new_visitor_gets_a_cookie_on_the_property_domain(site: Tuple[str, qe.Client], emulator: Emulator) -> None:
    url, client = site

    page, headers = get(url, {"Host": "www.shop.example"})

    cookie = headers["Set-Cookie"]
    match = re.fullmatch(
        r"_qubitTracker=([0-9a-z]{11}-[0-9a-z]{9}-[0-9a-z]{7}); Domain=shop\.example; Path=/; Max-Age=31536000; SameSite=Lax",
        cookie,
    )
    assert match, cookie
    client.flush(5)
    context_ids = {json.loads(c["body"])["id"] for c in emulator.callbacks()}
    assert context_ids <= {match.group(1)}
    assert page.startswith("<ul>")


def test_returning_visitor_is_read_from_the_cookie(site: Tuple[str, qe.Client], emulator: Emulator) -> None:
    url, client = site

    page, headers = get(url, {"Host": "shop.example", "Cookie": "theme=dark; _qubitTracker=visitor-1"})

    assert "Set-Cookie" not in headers
    served = re.findall(r'data-experience="(\d+)" data-variation="(\d+)"', page)
    assert served == [("144119", "826986"), ("151203", "831151"), ("152877", "834003")]
    assert "9007199254740993" in page and "18446744073709551617" in page
    client.flush(5)
    bodies = [c["body"] for c in emulator.callbacks()]
    assert bodies == ['{"id":"visitor-1"}'] * 3
    assert emulator.requests()[0]["query"] == "contextId=visitor-1"


def test_service_down_still_renders_and_sets_a_cookie(site: Tuple[str, qe.Client], emulator: Emulator) -> None:
    url, _ = site
    emulator.set_faults([{"on": "experiences", "kind": "status", "status": 500}])

    page, headers = get(url, {"Host": "localhost"})

    assert page == "<ul></ul>"
    assert re.fullmatch(r"_qubitTracker=[0-9a-z-]{29}; Path=/; Max-Age=31536000; SameSite=Lax", headers["Set-Cookie"])
