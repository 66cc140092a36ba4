"""Every time bound the tests wait under, in one place, scaled for a slow or loaded machine.

JIESU_TEST_TIME_SCALE (default 1; CI and a shared machine set 3 or more) multiplies each bound.
A bound is how long a test waits for a condition before it calls the wait a failure; it is never
a sleep, so a larger scale costs nothing when the machine is fast.
"""

from __future__ import annotations

import os

SCALE = max(1.0, float(os.environ.get("JIESU_TEST_TIME_SCALE", "1") or 1))


def bound(seconds: float) -> float:
    """A wait bound of `seconds` on an idle machine, scaled for this one."""
    return seconds * SCALE
