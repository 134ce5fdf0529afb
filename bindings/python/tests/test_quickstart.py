"""The README's Python quickstart (examples/quickstart.py) runs as a script
against the emulator, prints each experience and delivers every callback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import Emulator

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def test_quickstart_prints_experiences_and_delivers_callbacks(emulator: Emulator) -> None:
    result = subprocess.run(
        [sys.executable, str(QUICKSTART), emulator.url, emulator.tracking_id, "vip-1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    ids = [line.split(":")[0] for line in result.stdout.splitlines() if line.startswith("experience ")]
    assert ids == [f"experience {i}" for i in (144119, 151203, 152877, 160045, 171004)]
    assert "experience 160045: {}" in result.stdout.splitlines()
    assert result.stderr == ""
    assert sorted(c["decision"]["ExperienceId"] for c in emulator.callbacks()) == [
        144119,
        151203,
        152877,
        160045,
        171004,
    ]
