"""Tables and queries behind §4 (contact lists and addresses), shared by the operations and the
background file parser.

A million addresses per account must not slow page queries down:

* pages walk the ``(account_id, list_id, id)`` index (``LIMIT/OFFSET`` skips index entries only);
* a list's size is a counter kept in ``maillists.addr_count`` by every write, not a ``COUNT(*)``;
* the §4.8 keyword ("fuzzy in address and fullname") uses an FTS5 trigram index for keywords of
  three characters or more; shorter ones (a two-character Chinese name) scan the account's rows.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator

from sandbox.store import register_schema

VAR_COLUMNS = tuple(f"var{i}" for i in range(1, 11))
# Column order of the platform's address line: email;name;sex;birthday;phone;area;var1..var10.
LINE_COLUMNS = ("address", "fullname", "sex", "birthday", "phone", "area", *VAR_COLUMNS)
ADDRESS_COLUMNS = ("list_id", *LINE_COLUMNS, "time")

register_schema(
    """
CREATE TABLE IF NOT EXISTS maillists (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    subject     TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'enabled',
    addr_count  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS maillists_account ON maillists(account_id, id);

CREATE TABLE IF NOT EXISTS ml_addresses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    list_id    INTEGER NOT NULL DEFAULT 0,
    address    TEXT    NOT NULL,
    address_lc TEXT    NOT NULL,
    fullname   TEXT    NOT NULL DEFAULT '',
    sex        TEXT    NOT NULL DEFAULT '',
    birthday   TEXT    NOT NULL DEFAULT '',
    phone      TEXT    NOT NULL DEFAULT '',
    area       TEXT    NOT NULL DEFAULT '',
    var1 TEXT NOT NULL DEFAULT '', var2 TEXT NOT NULL DEFAULT '', var3 TEXT NOT NULL DEFAULT '',
    var4 TEXT NOT NULL DEFAULT '', var5 TEXT NOT NULL DEFAULT '', var6 TEXT NOT NULL DEFAULT '',
    var7 TEXT NOT NULL DEFAULT '', var8 TEXT NOT NULL DEFAULT '', var9 TEXT NOT NULL DEFAULT '',
    var10 TEXT NOT NULL DEFAULT '',
    time       TEXT    NOT NULL
);
-- One address once per list (case-insensitive); also the index that pages walk.
CREATE UNIQUE INDEX IF NOT EXISTS ml_addresses_unique
    ON ml_addresses(account_id, list_id, address_lc);
CREATE INDEX IF NOT EXISTS ml_addresses_page ON ml_addresses(account_id, list_id, id);
CREATE INDEX IF NOT EXISTS ml_addresses_account ON ml_addresses(account_id, id);

CREATE VIRTUAL TABLE IF NOT EXISTS ml_addresses_fts USING fts5(
    address, fullname, content='ml_addresses', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS ml_addresses_ai AFTER INSERT ON ml_addresses BEGIN
    INSERT INTO ml_addresses_fts(rowid, address, fullname)
    VALUES (new.id, new.address, new.fullname);
END;
CREATE TRIGGER IF NOT EXISTS ml_addresses_ad AFTER DELETE ON ml_addresses BEGIN
    INSERT INTO ml_addresses_fts(ml_addresses_fts, rowid, address, fullname)
    VALUES ('delete', old.id, old.address, old.fullname);
END;
CREATE TRIGGER IF NOT EXISTS ml_addresses_au AFTER UPDATE OF address, fullname ON ml_addresses
BEGIN
    INSERT INTO ml_addresses_fts(ml_addresses_fts, rowid, address, fullname)
    VALUES ('delete', old.id, old.address, old.fullname);
    INSERT INTO ml_addresses_fts(rowid, address, fullname)
    VALUES (new.id, new.address, new.fullname);
END;

-- §4.7 unsubscribed addresses, per list.
CREATE TABLE IF NOT EXISTS ml_unsubscribes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    list_id    INTEGER NOT NULL,
    address    TEXT    NOT NULL,
    address_lc TEXT    NOT NULL,
    time       TEXT    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ml_unsubscribes_unique
    ON ml_unsubscribes(account_id, list_id, address_lc);

-- §4.9.3 uploaded files, parsed in the background; §4.9.4 and §4.15 read them.
CREATE TABLE IF NOT EXISTS ml_imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL,
    list_id     INTEGER NOT NULL,
    subject     TEXT    NOT NULL DEFAULT '',
    filename    TEXT    NOT NULL,
    filepath    TEXT    NOT NULL,
    time_import TEXT    NOT NULL,
    ready_at    REAL    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'no_complete',
    detail      TEXT    NOT NULL DEFAULT '',
    count_all   INTEGER NOT NULL DEFAULT 0,
    count_err_1 INTEGER NOT NULL DEFAULT 0,
    count_err_2 INTEGER NOT NULL DEFAULT 0,
    status      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ml_imports_account ON ml_imports(account_id, id);
CREATE INDEX IF NOT EXISTS ml_imports_state ON ml_imports(state, ready_at);
"""
)

# Deliberately plain: a local part of the usual characters, dot-separated, and a domain of
# letters/digits/hyphens labels with a TLD of two letters or more (what the platform accepts).
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def valid_email(address: str) -> bool:
    return len(address) <= 254 and _EMAIL.fullmatch(address) is not None


def get_list(conn: sqlite3.Connection, account_id: int, list_id) -> sqlite3.Row | None:
    try:
        list_id = int(list_id)
    except (TypeError, ValueError):
        return None
    return conn.execute(
        "SELECT * FROM maillists WHERE id = ? AND account_id = ?", (list_id, account_id)
    ).fetchone()


def bump_count(conn: sqlite3.Connection, list_id: int, delta: int) -> None:
    if list_id and delta:
        conn.execute(
            "UPDATE maillists SET addr_count = MAX(0, addr_count + ?) WHERE id = ?",
            (delta, list_id),
        )


def parse_line(line: str, separator: str = ";") -> dict[str, str]:
    """One `email;name;sex;birthday;phone;area;var1..var10` line; missing fields are empty."""
    parts = [p.strip() for p in line.split(separator)]
    values = dict(zip(LINE_COLUMNS, parts, strict=False))
    sex = values.get("sex", "").upper()
    values["sex"] = sex if sex in ("M", "F") else ""
    return values


def insert_addresses(
    conn: sqlite3.Connection,
    *,
    account_id: int,
    list_id: int,
    rows: Iterable[dict[str, str]],
    now: str,
    batch: int = 5000,
    commit_each_batch: bool = False,
) -> tuple[int, int, int]:
    """Insert address dicts; returns (all, invalid, duplicate). Duplicates are within the rows
    given and against the list, case-insensitively, as the platform filters them."""
    total = invalid = inserted = 0
    columns = ", ".join(ADDRESS_COLUMNS)
    marks = ", ".join("?" for _ in range(len(ADDRESS_COLUMNS) + 2))
    sql = f"INSERT OR IGNORE INTO ml_addresses (account_id, address_lc, {columns}) VALUES ({marks})"  # noqa: S608, E501
    pending: list[tuple] = []

    def flush() -> int:
        if commit_each_batch:
            conn.execute("BEGIN IMMEDIATE")
        try:
            # rowcount, not total_changes: the latter also counts the FTS triggers' rows.
            added = conn.executemany(sql, pending).rowcount
            bump_count(conn, list_id, added)
        except BaseException:
            if commit_each_batch:
                conn.execute("ROLLBACK")
            raise
        if commit_each_batch:
            conn.execute("COMMIT")
        pending.clear()
        return added

    for values in rows:
        total += 1
        address = values.get("address", "").strip()
        if not valid_email(address):
            invalid += 1
            continue
        pending.append(
            (
                account_id,
                address.lower(),
                list_id,
                address,
                *(values.get(c, "") or "" for c in LINE_COLUMNS[1:]),
                now,
            )
        )
        if len(pending) >= batch:
            inserted += flush()
    if pending:
        inserted += flush()
    duplicate = total - invalid - inserted
    return total, invalid, duplicate


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(account_id: int, list_id: int | None, keyword: str) -> tuple[str, list]:
    clauses = ["a.account_id = ?"]
    params: list = [account_id]
    if list_id is not None:
        clauses.append("a.list_id = ?")
        params.append(list_id)
    if keyword:
        if len(keyword) >= 3:
            # Trigram FTS: a substring match in either column, through the index.
            clauses.append(
                "a.id IN (SELECT rowid FROM ml_addresses_fts WHERE ml_addresses_fts MATCH ?)"
            )
            params.append('"' + keyword.replace('"', '""') + '"')
        else:
            like = f"%{_escape_like(keyword)}%"
            clauses.append("(a.address LIKE ? ESCAPE '\\' OR a.fullname LIKE ? ESCAPE '\\')")
            params += [like, like]
    return " AND ".join(clauses), params


def count_addresses(
    conn: sqlite3.Connection, account_id: int, list_id: int | None, keyword: str
) -> int:
    if not keyword and list_id:
        row = conn.execute(
            "SELECT addr_count FROM maillists WHERE id = ? AND account_id = ?",
            (list_id, account_id),
        ).fetchone()
        return row[0] if row else 0
    where, params = _where(account_id, list_id, keyword)
    return conn.execute(f"SELECT COUNT(*) FROM ml_addresses a WHERE {where}", params).fetchone()[0]  # noqa: S608


def page_addresses(
    conn: sqlite3.Connection,
    account_id: int,
    list_id: int | None,
    keyword: str,
    *,
    limit: int | None,
    offset: int,
) -> Iterator[sqlite3.Row]:
    where, params = _where(account_id, list_id, keyword)
    sql = f"SELECT a.* FROM ml_addresses a WHERE {where} ORDER BY a.id"  # noqa: S608
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return conn.execute(sql, params)


def split_addresses(raw: str) -> list[str]:
    """§4.14 `address`: comma-separated or one a line."""
    return [p.strip() for p in re.split(r"[,\r\n]+", raw or "") if p.strip()]


def split_subscriptions(raw: str) -> list[tuple[str, str]]:
    """§4.13 `maillist`: `a@x,name;b@y,name2` or one `email<TAB or ,>name` a line."""
    raw = raw or ""
    entries = re.split(r"[\r\n]+", raw) if "\n" in raw or "\r" in raw else raw.split(";")
    out = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        parts = re.split(r"[\t,]", entry, maxsplit=1)
        email = parts[0].strip()
        name = parts[1].strip() if len(parts) > 1 else ""
        out.append((email, name))
    return out


def default_name(email: str) -> str:
    return email.split("@", 1)[0]
