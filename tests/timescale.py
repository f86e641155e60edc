# SPDX-License-Identifier: Apache-2.0
"""TEST_TIMEOUT_SCALE=N (set by scripts/valgrind.sh, 1 when unset; the same rule as
tests/test_probe.c): the factor by which a test stretches its own time bounds and
subprocess timeouts, because under valgrind every run of the binary is 20-50 times
slower. What a test asserts stays the same; only the clock is stretched."""
import os


def factor():
    try:
        k = int(os.environ.get("TEST_TIMEOUT_SCALE", "1"))
    except ValueError:
        return 1
    return k if 1 <= k <= 100 else 1


def scaled(seconds):
    """seconds stretched by TEST_TIMEOUT_SCALE."""
    return seconds * factor()
