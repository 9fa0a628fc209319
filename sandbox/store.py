"""The sandbox's state: one SQLite file, real tables with indexes.

One connection per thread (the server runs a thread per request), WAL journal so
readers never wait for the writer, autocommit by default and explicit
``BEGIN IMMEDIATE`` transactions through :meth:`Store.transaction` for multi-row
writes. Later API sections (contact lists with up to a million addresses,
templates, tasks...) declare their own tables with :func:`register_schema` from
their module in ``sandbox/ops/``; the schema is created when the store opens.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id              INTEGER PRIMARY KEY,
    username        TEXT    NOT NULL UNIQUE,
    password        TEXT    NOT NULL,
    user_type       TEXT    NOT NULL DEFAULT '',
    parent_id       INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    company         TEXT    NOT NULL DEFAULT '',
    contact         TEXT    NOT NULL DEFAULT '',
    phone           TEXT    NOT NULL DEFAULT '',
    mobile          TEXT    NOT NULL DEFAULT '',
    email           TEXT    NOT NULL DEFAULT '',
    im              TEXT    NOT NULL DEFAULT '',
    address         TEXT    NOT NULL DEFAULT '',
    service_status  TEXT    NOT NULL DEFAULT 'enabled',
    service_type    TEXT    NOT NULL DEFAULT 'all',
    send_type       TEXT    NOT NULL DEFAULT 'local',
    beginning_date  TEXT,
    expiration_date TEXT,
    qty_available   INTEGER NOT NULL DEFAULT 0,
    qty_buytotal    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS accounts_parent ON accounts(parent_id);

-- §8 console sessions (PHPSESSID cookie).
CREATE TABLE IF NOT EXISTS console_sessions (
    sid        TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS console_sessions_account ON console_sessions(account_id);
"""

_EXTRA_SCHEMAS: list[str] = []


def register_schema(ddl: str) -> None:
    """Declare tables for an API section; call at import time of its ``sandbox/ops`` module.

    Use ``CREATE ... IF NOT EXISTS``: the DDL runs every time a store opens and after a reset.
    """
    if ddl not in _EXTRA_SCHEMAS:
        _EXTRA_SCHEMAS.append(ddl)


# Account columns the control API may set, with the kind of value each accepts.
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ACCOUNT_CHOICES = {
    "user_type": ("", "agents", "manager"),
    "service_status": ("enabled", "disabled"),
    "service_type": ("all", "day"),
    "send_type": ("remote", "local"),
}
ACCOUNT_TEXT = (
    "username",
    "password",
    "company",
    "contact",
    "phone",
    "mobile",
    "email",
    "im",
    "address",
)
ACCOUNT_INTS = ("qty_available", "qty_buytotal")
ACCOUNT_DATES = ("beginning_date", "expiration_date")
ACCOUNT_FIELDS = (
    ("id", "parent_id") + ACCOUNT_TEXT + tuple(ACCOUNT_CHOICES) + ACCOUNT_INTS + ACCOUNT_DATES
)


def _is_date(value: object) -> bool:
    if not (isinstance(value, str) and _DATE_RE.match(value)):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def validate_account_fields(changes: dict[str, Any], *, allow_id: bool = False) -> dict[str, Any]:
    """Check a patch of account fields; raise ``ValueError`` with a readable message."""
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in ACCOUNT_FIELDS or (key == "id" and not allow_id):
            raise ValueError(f"unknown or read-only account field: {key}")
        if key in ACCOUNT_TEXT:
            if not isinstance(value, str):
                raise ValueError(f"{key} must be a string")
            if key in ("username", "password") and not value:
                raise ValueError(f"{key} must not be empty")
        elif key in ACCOUNT_CHOICES:
            if value not in ACCOUNT_CHOICES[key]:
                raise ValueError(f"{key} must be one of {list(ACCOUNT_CHOICES[key])}")
        elif key in ACCOUNT_INTS or key in ("id", "parent_id"):
            nullable = key == "parent_id"
            if isinstance(value, bool) or not (
                isinstance(value, int) or (nullable and value is None)
            ):
                raise ValueError(f"{key} must be an integer" + (" or null" if nullable else ""))
        elif key in ACCOUNT_DATES and value is not None and not _is_date(value):
            raise ValueError(f"{key} must be a YYYY-MM-DD date or null")
        clean[key] = value
    return clean


def public_account(row: dict[str, Any]) -> dict[str, Any]:
    """An account as the control API shows it: everything but the password."""
    return {k: v for k, v in row.items() if k != "password"}


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Serialises wipe() against itself; ordinary writes rely on SQLite's own locking.
        self._wipe_lock = threading.Lock()
        # WAL is a property of the file, set once; readers then never block on the writer.
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.init_schema()

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (closed by garbage collection when the thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: take the write lock up front to avoid deadlocks."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def init_schema(self) -> None:
        conn = self.conn
        conn.executescript(CORE_SCHEMA)
        for ddl in _EXTRA_SCHEMAS:
            conn.executescript(ddl)

    def wipe(self) -> None:
        """Drop every table and recreate the schema (faster than DELETE on large tables)."""
        with self._wipe_lock:
            conn = self.conn
            conn.execute("PRAGMA foreign_keys=OFF")
            try:
                with self.transaction():
                    names = [
                        r[0]
                        for r in conn.execute(
                            "SELECT name FROM sqlite_master "
                            "WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                        )
                    ]
                    for name in names:
                        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            finally:
                conn.execute("PRAGMA foreign_keys=ON")
            self.init_schema()

    # -- accounts ----------------------------------------------------------------------------

    def _one(self, sql: str, params: tuple = ()) -> dict[str, Any] | None:
        row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def account_by_username(self, username: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM accounts WHERE username = ?", (username,))

    def account_by_id(self, account_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM accounts WHERE id = ?", (account_id,))

    def list_accounts(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM accounts ORDER BY id")]

    def sub_accounts(self, parent_id: int) -> list[dict[str, Any]]:
        """An agent's sub-accounts."""
        rows = self.conn.execute(
            "SELECT * FROM accounts WHERE parent_id = ? ORDER BY id", (parent_id,)
        )
        return [dict(r) for r in rows]

    def insert_account(self, fields: dict[str, Any], *, if_missing: bool = False) -> None:
        """Insert an account; with ``if_missing`` an existing username is left untouched."""
        fields = validate_account_fields(fields, allow_id=True)
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        verb = "INSERT OR IGNORE" if if_missing else "INSERT"
        self.conn.execute(f"{verb} INTO accounts ({cols}) VALUES ({marks})", tuple(fields.values()))

    def update_account(self, username: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply a validated patch; return the updated row, or None when there is no such user."""
        changes = validate_account_fields(changes)
        if not changes:
            return self.account_by_username(username)
        sets = ", ".join(f"{k} = ?" for k in changes)
        try:
            cur = self.conn.execute(
                # Column names come from validate_account_fields' whitelist; values are bound.
                f"UPDATE accounts SET {sets} WHERE username = ?",  # noqa: S608
                (*changes.values(), username),
            )
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"rejected by the store: {exc}") from exc
        if cur.rowcount == 0:
            return None
        return self.account_by_username(changes.get("username", username))

    # -- console sessions (§8) ---------------------------------------------------------------

    def create_session(self, account_id: int, created_at: str) -> str:
        # 26 lowercase alphanumerics, the shape of PHP's default session ids.
        alphabet = "0123456789abcdefghijklmnopqrstuv"
        sid = "".join(secrets.choice(alphabet) for _ in range(26))
        self.conn.execute(
            "INSERT INTO console_sessions (sid, account_id, created_at) VALUES (?, ?, ?)",
            (sid, account_id, created_at),
        )
        return sid

    def session_account(self, sid: str) -> dict[str, Any] | None:
        return self._one(
            "SELECT a.* FROM console_sessions s JOIN accounts a ON a.id = s.account_id "
            "WHERE s.sid = ?",
            (sid,),
        )

    def delete_session(self, sid: str) -> None:
        self.conn.execute("DELETE FROM console_sessions WHERE sid = ?", (sid,))
