"""Waiting in tests for what happens off the request path (a model swap, a retried load)."""

from __future__ import annotations

import time


def eventually(check, seconds: float = 60) -> bool:
    """True as soon as ``check()`` is truthy, polling every 50 ms; False after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
