"""Storing §3.2 / §3.3 detail fast: a million openers in seconds, in constant memory.

On PostgreSQL the reply is parsed by a helper process into CSV as it streams in
(`TrackingAPI.open_detail_csv`, see apps/umail/records.py) and written with
`COPY … FROM STDIN`, the session's time zone set to the platform's so its Beijing times are
read as such: parsing and writing run on two CPUs at once. Elsewhere (SQLite for `make run`)
the rows come as batches of texts (`open_detail_records`) and are bulk-inserted. Either way in
one transaction: a reply that breaks half-way stores nothing, and the previous fetch stays what
the pages show.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction
from django.db.models import Count

from apps.umail.errors import MalformedReply
from apps.umail.times import parse_platform_time

from .models import ClickRecord, DetailFetch, OpenRecord

OPEN_COLUMNS = (
    "fetch_id",
    "email_id",
    "email",
    "browser",
    "os",
    "addr_first",
    "ip_first",
    "ip_last",
    "addr_last",
    "open_total",
    "click_total",
    "open_first",
    "open_last",
    "click_first",
    "click_last",
)
OPEN_TEXT = ("email", "browser", "os", "addr_first", "ip_first", "ip_last", "addr_last")
OPEN_INTS = (9, 10)  # positions in a row with the fetch id first
OPEN_TIMES = (11, 12, 13, 14)
CLICK_COLUMNS = (
    "fetch_id",
    "click_id",
    "email",
    "link",
    "click_unique",
    "click_total",
    "click_first",
    "click_last",
)
CLICK_TEXT = ("email", "link")
CLICK_INTS = (4, 5)
CLICK_TIMES = (6, 7)


def _fixed(fetch_id: int, batch: list[list[str]], ints, times) -> list[list[str]]:
    """Rows with the fetch id first, empty counts as 0 and "0000-00-00 …" times empty."""
    out = []
    for row in batch:
        row = [fetch_id, *row]
        for i in ints:
            if not row[i]:
                row[i] = "0"
        for i in times:
            value = row[i]
            if value and value[0] == "0":  # the platform's "0000-00-00 00:00:00": no time
                row[i] = ""
        out.append(row)
    return out


def _copy(table: str, columns, text_columns, csv_chunks: Iterable[bytes]) -> int:
    """COPY CSV bytes (rows already in `columns` order) into `table`; returns the rows."""
    sql = (
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, "
        f"FORCE_NOT_NULL ({', '.join(text_columns)}))"
    )
    with connection.cursor() as cursor:
        # The platform's naive times are Beijing times: the server reads them in that zone for
        # the COPY only (Django reads timestamps assuming its own zone, so it is put back).
        cursor.execute("SHOW TIME ZONE")
        zone = cursor.fetchone()[0]
        cursor.execute("SET LOCAL TIME ZONE 'Asia/Shanghai'")
        raw = cursor.cursor
        with raw.copy(sql) as copy:
            for chunk in csv_chunks:
                copy.write(chunk)
        count = raw.rowcount
        # (On an error the rollback undoes the SET LOCAL as well.)
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [zone])
    return count


def _bulk(model, columns, rows: Iterable[list[list[str]]], times) -> int:
    count = 0
    names = columns[1:]
    for batch in rows:
        objects = []
        for row in batch:
            values = dict(zip(names, row[1:], strict=True))
            for i in times:
                values[columns[i]] = parse_platform_time(row[i]) if row[i] else None
            for name in ("email_id", "click_id"):
                if name in values:
                    values[name] = int(values[name]) if values[name] else None
            objects.append(model(fetch_id=row[0], **values))
        model.objects.bulk_create(objects, batch_size=2000)
        count += len(objects)
    return count


def _store(fetch: DetailFetch, source, model, columns, text_columns, ints, times) -> int:
    """`source(csv: bool)` gives the reply as CSV bytes (PostgreSQL: COPY) or row batches."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                return _copy(model._meta.db_table, columns, text_columns, source(True))
            rows = (_fixed(fetch.pk, batch, ints, times) for batch in source(False))
            return _bulk(model, columns, rows, times)
    except (DatabaseError, ValueError) as exc:
        # A value the columns cannot hold: the reply is not what the documentation shows.
        raise MalformedReply(f"The detail could not be stored: {exc}".strip()[:500]) from exc


def store_openers(fetch: DetailFetch, client, **task) -> int:
    """§3.2 of the task (`send_id=` or `ident=`) into the fetch's rows."""

    def source(as_csv: bool):
        if as_csv:
            return client.tracking.open_detail_csv(prefix=(fetch.pk,), **task)
        return client.tracking.open_detail_records(**task)

    return _store(fetch, source, OpenRecord, OPEN_COLUMNS, OPEN_TEXT, OPEN_INTS, OPEN_TIMES)


def store_clicks(fetch: DetailFetch, client, **task) -> int:
    """§3.3 of the task into the fetch's rows."""

    def source(as_csv: bool):
        if as_csv:
            return client.tracking.click_detail_csv(prefix=(fetch.pk,), **task)
        return client.tracking.click_detail_records(**task)

    return _store(fetch, source, ClickRecord, CLICK_COLUMNS, CLICK_TEXT, CLICK_INTS, CLICK_TIMES)


def summarise(fetch: DetailFetch) -> dict:
    """Openers by browser, OS and area of first open (the ten largest of each, and the rest)."""
    if fetch.kind != DetailFetch.Kind.OPENS:
        return {}
    rows = OpenRecord.objects.filter(fetch=fetch)
    summary = {}
    for name in ("browser", "os", "addr_first"):
        counts = list(rows.values_list(name).annotate(n=Count("id")).order_by("-n", name))
        top = [(label or "?", n) for label, n in counts[:10]]
        rest = sum(n for _, n in counts[10:])
        if rest:
            top.append(("…", rest))
        summary[name] = top
    return summary


def drop_older(fetch: DetailFetch) -> int:
    """Forget the rows of earlier fetches of the same detail once this one is complete."""
    older = list(
        DetailFetch.objects.filter(report_id=fetch.report_id, kind=fetch.kind, id__lt=fetch.pk)
        .exclude(state__in=[DetailFetch.State.PENDING, DetailFetch.State.RUNNING])
        .values_list("pk", flat=True)
    )
    if not older:
        return 0
    model = OpenRecord if fetch.kind == DetailFetch.Kind.OPENS else ClickRecord
    model.objects.filter(fetch_id__in=older).delete()  # one DELETE: no cascades, no signals
    DetailFetch.objects.filter(pk__in=older).delete()
    return len(older)
