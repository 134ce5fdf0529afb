"""The typed usage examples also run, so they stay true."""

from __future__ import annotations

from conftest import Emulator
from typing_examples import run_all


def test_typed_examples_run(emulator: Emulator) -> None:
    run_all(emulator.url)
