"""Shared fixtures: the recorded transitions of the original engine, and one local Ray."""

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Before Ray is imported anywhere: no auth token, and every Ray server on 127.0.0.1.
os.environ["RAY_AUTH_MODE"] = "disabled"
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def conformance() -> dict[str, Any]:
    with gzip.open(DATA / "transitions.json.gz", "rt") as f:
        data: dict[str, Any] = json.load(f)
    return data


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    """One local Ray for the whole test session, listening on loopback only."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
