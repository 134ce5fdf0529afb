"""Shared fixtures: emulators started through the project's CLI.

The CLI binary is `$QUBIT_EXPERIENCES_CLI`, or `target/debug/qubit-experiences`
in the repository (built by `scripts/test-python.sh`).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "emulator" / "fixtures"
SCENARIOS = REPO / "tests" / "conformance"


def cli_path() -> Path:
    path = Path(os.environ.get("QUBIT_EXPERIENCES_CLI", REPO / "target" / "debug" / "qubit-experiences"))
    if not path.is_file():
        pytest.fail(f"the CLI is not built at {path}: run scripts/test-python.sh")
    return path


class Emulator:
    """One emulator process serving one fixture on 127.0.0.1."""

    def __init__(self, fixture: Path) -> None:
        self.fixture = fixture
        self.tracking_id: str = json.loads(fixture.read_text(encoding="utf-8"))["trackingId"]
        self.process = subprocess.Popen(
            [str(cli_path()), "emulator", "--fixture", str(fixture), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.process.kill()
            raise RuntimeError(f"the emulator did not print its URL, but {self.url!r}")
        # Keep draining stdout so the emulator never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def control(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def reset(self) -> None:
        self.control("POST", "/_emulator/reset")

    def set_faults(self, faults: List[Dict[str, Any]]) -> None:
        self.control("PUT", "/_emulator/faults", {"faults": faults})

    def callbacks(self) -> List[Dict[str, Any]]:
        return self.control("GET", "/_emulator/callbacks")  # type: ignore[no-any-return]

    def requests(self) -> List[Dict[str, Any]]:
        return self.control("GET", "/_emulator/requests")  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


class Emulators:
    """One emulator per fixture file, started on first use."""

    def __init__(self) -> None:
        self.running: Dict[str, Emulator] = {}

    def get(self, fixture: str) -> Emulator:
        if fixture not in self.running:
            path = Path(fixture) if os.path.isabs(fixture) else FIXTURES / fixture
            self.running[fixture] = Emulator(path)
        emulator = self.running[fixture]
        emulator.reset()
        return emulator

    def stop(self) -> None:
        for emulator in self.running.values():
            emulator.stop()


@pytest.fixture(scope="session")
def emulators() -> Iterator[Emulators]:
    running = Emulators()
    yield running
    running.stop()


@pytest.fixture()
def emulator(emulators: Emulators) -> Emulator:
    """The retail sample's emulator, reset for this test."""
    return emulators.get("retail.json")
