"""A WSGI app that renders a page with the visitor's experiences.

It reads the `_qubitTracker` cookie, fetches the visitor's experiences
(failing open to default content), reports each one shown in the
background, and sets the cookie for a new visitor. Any WSGI server runs it
(gunicorn, uWSGI, mod_wsgi); to try it with the standard library's server
against a local emulator:

    qubit-experiences emulator --port 8080 &
    QUBIT_BASE_URL=http://127.0.0.1:8080 python examples/wsgi_app.py
"""

from __future__ import annotations

import html
import json
import os
from typing import Callable, Iterable, List, Tuple
from wsgiref.simple_server import make_server

import qubit_experiences as qe

StartResponse = Callable[[str, List[Tuple[str, str]]], object]
Environ = dict  # type: ignore[type-arg]


def make_app(client: qe.Client) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """The WSGI application, sharing one client across requests."""

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        context_id = qe.context_id_from_cookie_header(environ.get("HTTP_COOKIE", ""))
        answer = client.get_experiences_fail_open(context_id)

        items = []
        for experience in answer:
            payload = html.escape(json.dumps(experience.payload, ensure_ascii=False))
            items.append(f'<li data-experience="{experience.id}" data-variation="{experience.variation}">{payload}</li>')
            client.shown_later(experience, answer.context_id)
        body = f"<ul>{''.join(items)}</ul>".encode()

        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        if answer.context_id_generated:
            host = environ.get("HTTP_HOST", environ.get("SERVER_NAME", ""))
            domain = qe.cookie_domain_for_host(host, answer.cookie_domains)
            secure = environ.get("wsgi.url_scheme") == "https"
            headers.append(("Set-Cookie", qe.set_cookie_header(answer.context_id, domain, secure=secure)))
        start_response("200 OK", headers)
        return [body]

    return app


def main() -> None:
    base_url = os.environ.get("QUBIT_BASE_URL", "https://sse.qubit.com")
    tracking_id = os.environ.get("QUBIT_TRACKING_ID", "retail_shop")
    with qe.Client(tracking_id, base_url=base_url) as client:
        with make_server("127.0.0.1", 8000, make_app(client)) as server:
            server.serve_forever()


if __name__ == "__main__":
    main()
