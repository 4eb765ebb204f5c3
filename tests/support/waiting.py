"""Waiting for something that happens later (a late reply, a progress message), by polling with a deadline."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

import pytest

T = TypeVar("T")


def eventually(find: Callable[[], T | None], what: str = "result", within_s: float = 20.0) -> T:
    """Poll ``find`` until it returns something truthy, or fail the test after ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.02)
    pytest.fail(f"no {what} within {within_s} s")
