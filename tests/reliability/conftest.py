"""Fault injection: the sandbox misbehaves on demand (see sandbox/faults.py)."""

from __future__ import annotations

import time

import pytest

# Faults after which the portal cannot use the reply; each must end in a clear message.
BREAKING_FAULTS = [
    {"kind": "timeout", "delay": 3},
    {"kind": "http_error", "status": 502},
    {"kind": "http_error", "status": 500},
    {"kind": "reset"},
    {"kind": "html"},
    {"kind": "malformed"},
    {"kind": "truncated"},
    {"kind": "empty"},
    {"kind": "rate_limit"},
    {"kind": "xml_bomb"},
    {"kind": "xxe"},
]
# Faults the portal must survive with the right data.
SURVIVABLE_FAULTS = [
    {"kind": "latency", "delay": 0.3},
    {"kind": "gbk"},
    {"kind": "gbk_mislabel"},
]


def fault_id(fault: dict) -> str:
    return "-".join(str(v) for k, v in fault.items() if k in ("kind", "status"))


@pytest.fixture
def inject(fresh_sandbox, settings):
    """Switch a fault on in the sandbox for the rest of the test (reset clears it).

    A `timeout` fault holds requests and then carries them out: at the end of the test, wait
    until every held request has finished, so that none lands in the next test's fresh state.
    """
    settings.UMAIL_READ_TIMEOUT = 1.0  # the `timeout` fault holds replies for 3 s
    held: list[float] = []

    def inject(**spec):
        if spec.get("kind") in ("timeout", "latency"):
            held.append(float(spec.get("delay") or 30))
        return fresh_sandbox.control("POST", "faults", spec)

    yield inject
    if held and any(f["hits"] for f in fresh_sandbox.control("GET", "faults")):
        time.sleep(max(held) + 0.3)


@pytest.fixture
def sweep(inject, settings):
    """`inject`, tuned for sweeps over many pages: one attempt per read (retries are tested by
    each area's passing-fault test), a half-second read timeout and a `timeout` fault that
    holds requests for 1.5 s."""
    settings.UMAIL_READ_RETRIES = 0
    settings.UMAIL_READ_TIMEOUT = 0.5

    def sweep(**spec):
        if spec.get("kind") == "timeout":
            spec = {**spec, "delay": 1.5}  # still three read timeouts; a shorter drain after
        return inject(**spec)

    return sweep
