"""Polling helper for tests that watch a training loop or a process from outside."""

import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Return once `predicate()` is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
