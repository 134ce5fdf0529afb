"""A client created before os.fork() works in the child (its own
connections and callback worker), and the parent's keeps working."""

from __future__ import annotations

import json
import os

import pytest

import qubit_experiences as qe

from conftest import Emulator


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_client_works_in_a_forked_child_and_in_the_parent(emulator: Emulator) -> None:
    client = qe.Client(emulator.tracking_id, base_url=emulator.url)
    # Warm up the parent: an open connection and a running callback worker.
    warm = client.get_experiences("parent-0")
    assert client.shown_later(warm.experiences[0], "parent-0")
    client.flush(5)

    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        status = 1
        try:
            answer = client.get_experiences("child-1")
            client.shown_later(answer.experiences[0], "child-1")
            client.flush(5)
            status = 0 if client.stats()["callbacks_sent"] >= 2 else 2
        finally:
            os._exit(status)

    answer = client.get_experiences("parent-1")
    client.shown_later(answer.experiences[0], "parent-1")
    client.flush(5)
    _, wait_status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(wait_status) == 0
    bodies = sorted(json.loads(c["body"])["id"] for c in emulator.callbacks())
    assert bodies == ["child-1", "parent-0", "parent-1"]
    assert client.get_experiences("parent-2").context_id == "parent-2"
