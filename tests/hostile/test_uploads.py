"""Hostile uploads through the real pages: every bad file gets a clear message, leaves nothing
behind and sends nothing to the platform; what is accepted reaches the platform as clean UTF-8.

Cases: over the size limit, zip bombs disguised as XLSX or ZIP, damaged and old-format
archives, binary files under a text name, a 10 MB line, invalid encodings, empty files, and
(for the template editor) HTML that is not HTML.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.contacts import services as contacts
from apps.contacts.models import ImportJob

pytestmark = [pytest.mark.django_db]


def _zip(members: dict[str, bytes], level=9) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb_xlsx() -> bytes:
    # 20 MB of one byte compresses about 1000:1: an Excel-shaped bomb.
    return _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"0" * (20 << 20)})


def many_parts_xlsx() -> bytes:
    members = {f"xl/media/{i}.bin": b"x" for i in range(2100)}
    members["xl/workbook.xml"] = b"<workbook/>"
    return _zip(members, level=0)


def zip_not_excel() -> bytes:
    return _zip({"readme.txt": b"hello"})


CSV_HEAD = "邮箱,姓名\n".encode()

# case: (file name, bytes or a builder, a fragment of the message the marketer sees)
IMPORT_CASES = {
    "over the size limit": ("big.csv", lambda: CSV_HEAD + b"a@example.com,x\n" * 80_000, "larger"),
    "zip bomb as xlsx": ("bomb.xlsx", zip_bomb_xlsx, "zip bomb"),
    "xlsx with thousands of parts": ("parts.xlsx", many_parts_xlsx, "too many parts"),
    "zip that is not excel": ("fake.xlsx", zip_not_excel, "not an Excel"),
    "damaged xlsx": ("broken.xlsx", lambda: b"PK\x03\x04" + os.urandom(4000), "damaged"),
    "old binary xls": (
        "old.xls",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000),
        ".xls",
    ),
    "png named csv": (
        "photo.csv",
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(3000),
        "binary",
    ),
    "10 MB line": ("line.csv", lambda: CSV_HEAD + b"a" * (10 << 20) + b"\n", "longer than"),
    "empty file": ("empty.csv", lambda: b"", "empty"),
    "invalid encoding": (
        "mixed.csv",
        lambda: (
            CSV_HEAD
            + b"ok1@example.com,\xff\xfe\xfd\x80\n"  # valid in no encoding
            + "ok2@example.com,张伟\n".encode()
            + b"ok3@example.com,\xc3\x28\xa0\xa1\n"
        ),  # broken UTF-8
        "text encoding is not",
    ),
    "only blank lines": ("blank.csv", lambda: b"\r\n \n\t\n", "no rows"),
}


@pytest.fixture
def lists(demo_client, demo_account):
    contacts.list_sync(account=demo_account)
    return demo_client, demo_account


def _import_files(account) -> list[str]:
    folder = Path(contacts.import_dir(account))
    return sorted(p.name for p in folder.iterdir())


def _sent(sandbox) -> list[str]:
    return [c["do"] for c in sandbox.calls() if (c.get("do") or "").startswith("ml-addr-add")]


@pytest.mark.reliability("hostile", area="contacts import")
@pytest.mark.parametrize("case", sorted(IMPORT_CASES))
def test_bad_import_files_are_refused_clearly(lists, fresh_sandbox, settings, case):
    client, account = lists
    name, content, message = IMPORT_CASES[case]
    data = content() if callable(content) else content
    if case == "over the size limit":
        settings.CONTACTS_IMPORT_MAX_BYTES = 1 << 20  # 1 MB for the test
    before = _import_files(account)
    response = client.post(
        reverse("contacts:import-upload", args=[501]),
        {"file": SimpleUploadedFile(name, data, "text/csv")},
    )
    assert response.status_code == 200  # the form again, with the reason
    body = response.content.decode()
    assert message in body, body[:3000]
    assert "Traceback" not in body
    # Regression: an unreadable .xlsx showed the stored file's path on the server.
    for server_path in (str(settings.MEDIA_ROOT), str(settings.BASE_DIR), "/tmp/"):
        assert server_path not in body, server_path
    assert not ImportJob.objects.filter(account=account).exists()
    assert _import_files(account) == before  # nothing stored
    assert _sent(fresh_sandbox) == []


FORMULAS = ['=HYPERLINK("http://evil.example/","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


@pytest.mark.reliability("hostile", area="contacts import")
@pytest.mark.parametrize("case", ["formula cells"])
def test_formula_cells_never_reach_a_spreadsheet_as_formulas(lists, fresh_sandbox, case):
    """Imported as text; every download (rejected rows, §4.6 export in CSV and XLSX) starts
    such a cell with an apostrophe, so a spreadsheet shows it instead of running it."""
    from openpyxl import load_workbook

    client, account = lists
    lines = ["邮箱,姓名"]
    lines += [
        f'formula{i}@example.com,"{f.replace(chr(34), chr(34) * 2)}"'
        for i, f in enumerate(FORMULAS)
    ]
    lines += [f'"{FORMULAS[0].replace(chr(34), chr(34) * 2)}",bad address']
    response = client.post(
        reverse("contacts:import-upload", args=[501]),
        {"file": SimpleUploadedFile("f.csv", "\n".join(lines).encode(), "text/csv")},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get(account=account)
    contacts.import_configure(job=job, mapping=job.mapping, has_header=job.has_header)
    job = contacts.import_validate(job_id=job.pk)
    assert (job.rows_good, job.rows_invalid) == (4, 1)
    rejects = b"".join(
        client.get(reverse("contacts:import-rejects", args=[job.pk])).streaming_content
    )
    assert "'=HYPERLINK" in rejects.decode("utf-8-sig")
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.UPLOADING)
    assert contacts.import_upload(job_id=job.pk).state == ImportJob.State.DONE  # §4.9.2

    csv_text = b"".join(
        client.get(reverse("contacts:export", args=[501, "addresses", "csv"])).streaming_content
    ).decode("utf-8-sig")
    for formula in FORMULAS:
        assert (
            f"'{formula}" in csv_text or f'"\'{formula.replace(chr(34), chr(34) * 2)}"' in csv_text
        )
    xlsx = b"".join(
        client.get(reverse("contacts:export", args=[501, "addresses", "xlsx"])).streaming_content
    )
    cells = [c.value for row in load_workbook(io.BytesIO(xlsx)).active.iter_rows() for c in row]
    names = [v for v in cells if isinstance(v, str) and v.lstrip("'") in FORMULAS]
    assert len(names) == len(FORMULAS) and all(v.startswith("'") for v in names)


# -- subscriptions (pasted or a small text file) -----------------------------------------------

SUBSCRIBE_CASES = {
    "binary file": (lambda: b"\x00\x01\x02" * 2000, "not a text file"),
    "file over 5 MB": (lambda: b"a@example.com\n" * 400_000, "larger than 5 MB"),
    "undecodable bytes only": (lambda: b"\xff\xfe\xfd\xfc" * 10, ""),
}


@pytest.mark.reliability("hostile", area="contacts subscriptions")
@pytest.mark.parametrize("case", sorted(SUBSCRIBE_CASES))
def test_bad_subscription_files_change_nothing(lists, fresh_sandbox, case):
    client, _account = lists
    content, message = SUBSCRIBE_CASES[case]
    response = client.post(
        reverse("contacts:subscriptions", args=[502]),
        {"action": "subscribe", "file": SimpleUploadedFile("a.txt", content(), "text/plain")},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Traceback" not in body and message in body
    assert not [c for c in fresh_sandbox.calls() if c.get("do") == "subscribe"]


# -- template editor: import an .html or .zip, attach files --------------------------------------


def template_zip_bomb() -> bytes:
    return _zip({"index.html": b"<p>hi</p>", "big.png": b"\0" * (30 << 20)})


TEMPLATE_CASES = {
    "zip bomb as zip": ("page.zip", template_zip_bomb, "unpacks to more than"),
    "zip with 500 files": (
        "many.zip",
        lambda: _zip({f"{i}.png": b"x" for i in range(500)} | {"index.html": b"<p/>"}, level=0),
        "more than",
    ),
    "damaged zip": ("broken.zip", lambda: b"PK\x03\x04" + os.urandom(2000), "damaged"),
    "file over 5 MB": ("big.html", lambda: b"<p>" + b"x" * (6 << 20), "larger than"),
    "binary named zip": ("photo.zip", lambda: os.urandom(5000), "not a zip"),
    "executable": ("setup.exe", lambda: b"MZ" + os.urandom(2000), "Choose an .html file"),
}


@pytest.mark.reliability("hostile", area="templates import")
@pytest.mark.parametrize("case", sorted(TEMPLATE_CASES))
def test_bad_template_imports_are_refused_clearly(demo_client, fresh_sandbox, case):
    name, content, message = TEMPLATE_CASES[case]
    response = demo_client.post(
        reverse("mailtemplates:create"),
        {
            "action": "import",
            "name": "x",
            "html": "<p>kept</p>",
            "import_file": SimpleUploadedFile(name, content()),
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was imported" in body and message in body, body[:2000]
    assert "&lt;p&gt;kept&lt;/p&gt;" in body  # the editor keeps what was typed
    assert not [c for c in fresh_sandbox.calls() if c.get("do") == "add-tpl"]


@pytest.mark.reliability("hostile", area="templates import")
@pytest.mark.parametrize("case", ["attachment over the limit"])
def test_attachment_over_the_limit_is_refused_before_upload(demo_client, fresh_sandbox, case):
    from apps.mailtemplates.models import MailTemplate
    from apps.mailtemplates.services import template_sync

    account = demo_client.session and None
    del account
    from apps.accounts.models import PlatformAccount

    template_sync(account=PlatformAccount.objects.get(username="demo"))
    template = MailTemplate.objects.get(platform_id=501)
    big = SimpleUploadedFile("huge.pdf", b"%PDF" + b"0" * (6 << 20), "application/pdf")
    response = demo_client.post(
        reverse("mailtemplates:attachments-add", args=[template.pk]), {"files": [big]}, follow=True
    )
    assert response.status_code == 200
    assert not [c for c in fresh_sandbox.calls() if c.get("do") == "tpl-attachment-add"]
    assert "huge.pdf" in response.content.decode()
