"""Every Python block of docs/python.md runs, in order, against the
emulator (its documented URL replaced by the test emulator's)."""

from __future__ import annotations

import re

import qubit_experiences as qe

from conftest import REPO, Emulator

DOC = REPO / "docs" / "python.md"


def test_quickstart_code_runs(emulator: Emulator) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4

    namespace: dict = {}  # type: ignore[type-arg]
    for block in blocks:
        exec(compile(block.replace("http://127.0.0.1:8080", emulator.url), str(DOC), "exec"), namespace)

    assert namespace["headline"] == "Autumn essentials"
    assert namespace["client"].closed
    assert {c["body"] for c in emulator.callbacks()} == {'{"id":"visitor-1"}'}


def test_install_command_names_the_package_directory() -> None:
    assert "pip install ./bindings/python" in DOC.read_text(encoding="utf-8")
    assert (REPO / "bindings" / "python" / "pyproject.toml").is_file()
    assert qe.__version__
