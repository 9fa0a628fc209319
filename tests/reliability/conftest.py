"""Fault injection: the sandbox misbehaves on demand (see sandbox/faults.py)."""

from __future__ import annotations

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
    """Switch a fault on in the sandbox for the rest of the test (reset clears it)."""
    settings.UMAIL_READ_TIMEOUT = 1.0  # the `timeout` fault holds replies for 3 s

    def inject(**spec):
        return fresh_sandbox.control("POST", "faults", spec)

    return inject
