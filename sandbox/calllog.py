"""An in-memory, bounded log of the platform calls the sandbox has answered.

Tests and demos read it through ``GET /_sandbox/calls?since=<seq>`` to count the calls
the portal makes. Sequence numbers only grow (clearing keeps counting), so a ``since``
cursor taken before a clear stays meaningful. Passwords are never recorded.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any


class CallLog:
    def __init__(self, maxlen: int = 10_000):
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)
        self._last = 0
        self._lock = threading.Lock()

    def record(self, **entry: Any) -> int:
        with self._lock:
            self._last = seq = next(self._seq)
            self._entries.append({"seq": seq, **entry})
            return seq

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries if e["seq"] > seq]

    @property
    def last_seq(self) -> int:
        return self._last

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
