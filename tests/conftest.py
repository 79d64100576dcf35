"""Shared fixtures: the recorded transitions of the original engine."""

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def conformance() -> dict[str, Any]:
    with gzip.open(DATA / "transitions.json.gz", "rt") as f:
        data: dict[str, Any] = json.load(f)
    return data
