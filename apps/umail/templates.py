"""§5.2–§5.8 Mail templates, their content check and attachments (`template.php`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import xml
from .errors import MalformedReply, PlatformRejected
from .resource import Resource
from .xml import expect_root, to_dataclass

#: §5.2 / §5.6: several subjects travel as one `|`-separated value (the platform's A/B test).
SUBJECT_SEPARATOR = "|"
ENCODINGS = ("base64", "quoted-printable")

# §5.3 status codes.
STATUS_CHECKING = -1
STATUS_REJECTED = 0
STATUS_PASSED = 1
SIZE_COUNTING = -1
SIZE_DONE = 1

#: A file to upload: (file name, bytes or a binary file object, content type).
Upload = tuple[str, object, str]


def join_subjects(subjects: Sequence[str]) -> str:
    """The platform's form of several subjects; a `|` inside one subject cannot be sent."""
    cleaned = [s.strip() for s in subjects if s and s.strip()]
    if not cleaned:
        raise ValueError("at least one subject is needed")
    for subject in cleaned:
        if SUBJECT_SEPARATOR in subject:
            raise ValueError(f"a subject cannot contain {SUBJECT_SEPARATOR!r}: {subject!r}")
    return SUBJECT_SEPARATOR.join(cleaned)


def split_subjects(value: str) -> list[str]:
    return [s.strip() for s in (value or "").split(SUBJECT_SEPARATOR) if s.strip()]


@dataclass(frozen=True)
class TemplateStatus:
    """§5.3 get-tpl-status: the content check and the size count of one template."""

    id: int | None = None
    name: str = ""
    status: int | None = None  # -1 checking, 0 red (rejected), 1 passed (green/yellow/red_pass)
    colour: str = ""  # empty while checking
    update_date: dt.datetime | None = None
    size_status: int | None = None  # -1 counting, 1 done
    size: int | None = None  # KB
    subject: str = ""  # the subjects, `|`-separated

    @property
    def checking(self) -> bool:
        return self.status is None or self.status == STATUS_CHECKING or not self.colour

    @property
    def counting(self) -> bool:
        return self.size_status != SIZE_DONE

    @property
    def final(self) -> bool:
        """Both the check and the size are settled: polling can stop."""
        return not self.checking and not self.counting

    @property
    def subjects(self) -> list[str]:
        return split_subjects(self.subject)


@dataclass(frozen=True)
class TemplateSubject:
    id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class TemplateAttachment:
    atta_id: int | None = None
    atta_name: str = ""


@dataclass(frozen=True)
class Template:
    """§5.4 list-tpl: one template with its subjects, HTML and attachments."""

    id: int | None = None
    user_id: int | None = None
    name: str = ""
    subjects: tuple[TemplateSubject, ...] = ()
    content: str = ""
    content_type: str = ""
    attachments: tuple[TemplateAttachment, ...] = ()
    created: dt.datetime | None = None
    updated: dt.datetime | None = None

    @property
    def subject_names(self) -> list[str]:
        return [s.name for s in self.subjects if s.name]


@dataclass(frozen=True)
class _TemplateScalars:
    id: int | None = None
    user_id: int | None = None
    name: str = ""
    content: str = ""
    content_type: str = ""
    created: dt.datetime | None = None
    updated: dt.datetime | None = None


def _template(element) -> Template:
    scalars = to_dataclass(_TemplateScalars, element)
    subjects = tuple(to_dataclass(TemplateSubject, s) for s in element.findall("subject"))
    box = element.find("attachments")
    attachments = (
        tuple(to_dataclass(TemplateAttachment, a) for a in box.findall("attachment"))
        if box is not None
        else ()
    )
    return Template(
        id=scalars.id,
        user_id=scalars.user_id,
        name=scalars.name,
        subjects=subjects,
        content=scalars.content,
        content_type=scalars.content_type,
        attachments=attachments,
        created=scalars.created,
        updated=scalars.updated,
    )


def _file_fields(files: Iterable[Upload]) -> list[tuple[str, Upload]]:
    """§5.2/§5.7: one file goes as `file`, several as `file[]`."""
    files = list(files)
    name = "file" if len(files) == 1 else "file[]"
    return [(name, f) for f in files]


def _new_id(text: str) -> int:
    """§5.2 says only "returns the new template's id": accept a bare number or a <result>."""
    body = text.strip()
    if body.isdigit():
        return int(body)
    root = xml.parse(body.encode("utf-8"))
    if root.tag == "result":
        status = xml.child_text(root, "status") or ""
        if status and not status.startswith("success"):
            raise PlatformRejected(status, xml.child_text(root, "data") or "")
        value = xml.child_text(root, "id") or xml.child_text(root, "data") or ""
    else:
        value = xml.child_text(root, "id") or (root.text or "").strip()
    if not value.isdigit():
        raise MalformedReply(f"add-tpl did not return a template id: {body[:80]!r}")
    return int(value)


class TemplatesAPI(Resource):
    script = "template.php"

    def add(
        self,
        *,
        name: str,
        subjects: Sequence[str],
        content: str,
        text_content: str | None = None,
        encoding: str | None = None,
        files: Iterable[Upload] = (),
    ) -> int:
        """§5.2 add-tpl; returns the new template id. A write: never retried."""
        if encoding is not None and encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}")
        data = {"name": name, "subject": join_subjects(subjects), "content": content}
        if text_content:
            data["text_content"] = text_content
        if encoding:
            data["encoding"] = encoding
        uploads = _file_fields(files)
        text = self.transport.call_text(
            self.script, "add-tpl", data=data, files=uploads or None, write=True
        )
        return _new_id(text)

    def status(self, tpl_id: int) -> TemplateStatus:
        """§5.3 get-tpl-status."""
        root = self._call("get-tpl-status", params={"tpl_id": tpl_id})
        return to_dataclass(TemplateStatus, expect_root(root, "template"))

    def list(self, tpl_id: int | None = None) -> list[Template]:
        """§5.4 list-tpl: every template of the account, or only `tpl_id`."""
        params = {"tpl_id": tpl_id} if tpl_id is not None else None
        root = expect_root(self._call("list-tpl", params=params), "template_list")
        return [_template(t) for t in root.findall("template")]

    def get(self, tpl_id: int) -> Template | None:
        found = [t for t in self.list(tpl_id) if t.id == tpl_id]
        return found[0] if found else None

    def delete(self, tpl_id: int) -> None:
        """§5.5 del-tpl."""
        self._write("del-tpl", params={"tpl_id": tpl_id})

    def edit(
        self,
        tpl_id: int,
        *,
        name: str | None = None,
        subjects: Sequence[str] | None = None,
        content: str | None = None,
        text_content: str | None = None,
        encoding: str | None = None,
    ) -> None:
        """§5.6 edit-tpl (POST; at least one of name, subjects, content)."""
        if name is None and subjects is None and content is None:
            raise ValueError("edit-tpl needs at least one of name, subjects, content")
        if encoding is not None and encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}")
        data: dict[str, str] = {"tpl_id": str(tpl_id)}
        if name is not None:
            data["name"] = name
        if subjects is not None:
            data["subject"] = join_subjects(subjects)
        if content is not None:
            data["content"] = content
        if text_content is not None:
            data["text_content"] = text_content
        if encoding is not None:
            data["encoding"] = encoding
        self._write("edit-tpl", data=data)

    def attachment_add(self, tpl_id: int, files: Iterable[Upload]) -> None:
        """§5.7 tpl-attachment-add: one or several files in one multipart POST."""
        uploads = _file_fields(files)
        if not uploads:
            raise ValueError("no file to upload")
        self._write("tpl-attachment-add", params={"tpl_id": tpl_id}, files=uploads)

    def attachment_delete(self, tpl_id: int, attachment_id: int | None = None) -> None:
        """§5.8 tpl-attachment-del: one attachment, or all of them (`attachment_id` None)."""
        self._write(
            "tpl-attachment-del",
            params={"tpl_id": tpl_id, "attachment_id": attachment_id or "all"},
        )
