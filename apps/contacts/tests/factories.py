"""Test data for contacts: files in every supported shape, and local mirror rows."""

from __future__ import annotations

import io
import itertools

from openpyxl import Workbook

from apps.contacts.models import MailList

_seq = itertools.count(1)

NAMES_SIMPLIFIED = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇"]
NAMES_TRADITIONAL = ["陳大文", "黃小明", "張國榮", "劉德華", "鄭秀文", "梁朝偉"]


def mail_list(account, *, platform_id=None, subject=None, **fields) -> MailList:
    n = next(_seq)
    return MailList.objects.create(
        account=account,
        platform_id=platform_id or 90000 + n,
        subject=subject or f"List {n}",
        status=fields.pop("status", "enabled"),
        **fields,
    )


HEADER_SIMPLIFIED = ["邮箱", "姓名", "手机", "地区"]
HEADER_TRADITIONAL = ["郵箱", "姓名", "手機", "地區"]


def csv_text(
    rows: int,
    *,
    header=True,
    names=NAMES_SIMPLIFIED,
    delimiter=",",
    start=0,
    extra=(),
    header_words=HEADER_SIMPLIFIED,
):
    lines = [delimiter.join(header_words)] if header else []
    for i in range(start, start + rows):
        lines.append(
            delimiter.join(
                [f"user{i}@example.com", names[i % len(names)], f"1380000{i:04d}", "北京"]
            )
        )
    lines += list(extra)
    return "\n".join(lines) + "\n"


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
