"""§4 Contact lists (联系人分类) and their addresses — ``mloperate.php``.

Reads go through ``Resource._call`` (retried), writes through ``Resource._write`` (never
retried). The two text exports (§4.6, §4.7) are streamed line by line so that a list of a
million addresses never sits in memory, and the §4.9.3 file upload is a streamed multipart body.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from requests_toolbelt.multipart.encoder import MultipartEncoder

from . import xml
from .errors import MalformedReply, PlatformRejected
from .resource import Resource
from .transport import error_from_reply
from .xml import expect_root, to_dataclass, xml_names

VAR_FIELDS = tuple(f"var{i}" for i in range(1, 11))
# The order of the platform's address line (§4.9.2 / §4.9.3): email;name;sex;birthday;...
LINE_FIELDS = ("address", "fullname", "sex", "birthday", "phone", "area", *VAR_FIELDS)
# What §4.9.4 may answer: parsed / unknown id / error / still parsing.
FILE_STATES = ("success", "not_exist", "error", "no_complete")


@dataclass(frozen=True)
class MailList:
    """§4.1 / §4.2 one contact list."""

    id: int | None = None
    subject: str = ""
    # The documentation prints the element as `descrīption`; accept both spellings.
    description: str = xml_names("description", "descrīption", default="")
    count: int = 0
    status: str = ""  # enabled / disabled

    @property
    def enabled(self) -> bool:
        return self.status == "enabled"


def _strip_cdata_artefact(value: str) -> str:
    # The documentation's §4.8 sample shows `![CDATA[x]]` without the `<`; a platform that
    # prints it that way must not put the brackets into the portal's data.
    if value.startswith("![CDATA[") and value.endswith("]]"):
        return value[8:-2]
    return value


@dataclass(frozen=True)
class Address:
    """§4.8 one address of a list (`brithday` is the platform's spelling)."""

    id: int | None = None
    list_id: int | None = None
    address: str = ""
    fullname: str = ""
    sex: str = ""  # not in the documented §4.8 reply; read when a platform sends it
    birthday: str = xml_names("birthday", "brithday", default="")
    phone: str = ""
    area: str = ""
    time: str = ""
    var1: str = ""
    var2: str = ""
    var3: str = ""
    var4: str = ""
    var5: str = ""
    var6: str = ""
    var7: str = ""
    var8: str = ""
    var9: str = ""
    var10: str = ""

    @classmethod
    def from_element(cls, element) -> Address:
        item = to_dataclass(cls, element)
        cleaned = {
            name: _strip_cdata_artefact(getattr(item, name))
            for name in ("address", "fullname", "area", "phone", "birthday", *VAR_FIELDS)
        }
        if cleaned["birthday"].startswith("0000"):
            cleaned["birthday"] = ""
        return cls(**{**item.__dict__, **cleaned})

    @property
    def variables(self) -> list[str]:
        return [getattr(self, name) for name in VAR_FIELDS]


@dataclass(frozen=True)
class AddressPage:
    """§4.8 one page: the total number of matching addresses and this page's rows."""

    total: int
    addresses: list[Address] = field(default_factory=list)
    page: int | None = None
    limit: int | None = None


@dataclass(frozen=True)
class WriteResult:
    """A `<result>` write that succeeded: its status and the platform's own words (data)."""

    status: str
    data: str


@dataclass(frozen=True)
class FileParseStatus:
    """§4.9.4: `success`, `no_complete` (still parsing), `error` or `not_exist`."""

    state: str
    detail: str = ""

    @property
    def finished(self) -> bool:
        return self.state != "no_complete"


@dataclass(frozen=True)
class AddressLog:
    """§4.15 one file import as the platform records it."""

    filename: str = ""
    filepath: str = ""
    time_import: str = ""
    count_all: int = 0
    count_err_1: int = 0  # invalid addresses
    count_err_2: int = 0  # duplicate addresses
    status: int = 0  # 1 ok; -1 / -2 / -3 failed
    subject: str = ""  # the list

    @property
    def ok(self) -> bool:
        return self.status == 1


class LineStream:
    """The lines of a text export, read from the socket as they come; close() when done.

    The request is made (and an XML error reply raised) when the stream is created, so callers
    can catch `UmailError` before they start sending a download to the browser.
    """

    def __init__(self, response):
        self._response = response
        self._lines = _byte_lines(response)
        self._first = next(self._lines, None)
        # PHP pages often start with a blank line: look at the first line with something on it.
        while self._first is not None and not self._first.strip(b"\xef\xbb\xbf \t\r"):
            self._first = next(self._lines, None)
        if self._first is not None and self._first.lstrip(b"\xef\xbb\xbf \t").startswith(b"<?xml"):
            body = b"\n".join([self._first, *self._lines])
            response.close()
            error = error_from_reply(response, xml.parse(body))
            raise error or MalformedReply("The platform sent XML where a text export was due.")
        # An export is text whatever the Content-Type says (the manual does not give one and PHP
        # sends text/html); an HTML page (PHP's error output) is not a list of addresses.
        first = (self._first or b"").lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if first.startswith((b"<!doctype", b"<html", b"<br", b"<b>")):
            response.close()
            raise MalformedReply("The platform sent an HTML page where a text export was due.")
        # Nothing at all, typed as XML: a failed reply, not an empty list (text/html says
        # nothing: it is PHP's default for everything).
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if self._first is None and kind in ("text/xml", "application/xml"):
            response.close()
            raise MalformedReply("The platform sent an empty reply.")

    def __iter__(self) -> Iterator[str]:
        try:
            if self._first is None:
                return
            first = self._first.decode("utf-8", "replace").lstrip("\ufeff")
            if first.strip():
                yield first.rstrip("\r")
            for raw in self._lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if line.strip():
                    yield line
        finally:
            self.close()

    def close(self) -> None:
        self._response.close()


def _byte_lines(response, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """The body's lines without their `\n`: requests' iter_lines costs a generator step per
    network chunk and splits on every Unicode line break; an export only knows `\n`."""
    rest = b""
    for chunk in response.iter_content(chunk_size=chunk_size):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _split_tab(line: str) -> tuple[str, str]:
    left, _, right = line.partition("\t")
    return left.strip(), right.strip()


def address_line(values: dict[str, str]) -> str:
    """One address in the platform's `email;name;sex;birthday;phone;area;var1..var10` format."""
    return ";".join(_line_value(values.get(name, "")) for name in LINE_FIELDS)


def _line_value(value) -> str:
    # The format has no quoting: a separator or line break inside a value would shift columns.
    text = "" if value is None else str(value)
    return text.replace(";", ",").replace("\r", " ").replace("\n", " ").strip()


class ContactsAPI(Resource):
    script = "mloperate.php"

    # -- lists (§4.1 – §4.5) ---------------------------------------------------------------------

    def maillist_list(self) -> list[MailList]:
        """§4.1 every list of the account."""
        root = expect_root(self._call("maillist-list"), "maillist")
        return [to_dataclass(MailList, item) for item in root.findall("item")]

    def maillist_detail(self, list_id: int) -> MailList:
        """§4.2 one list."""
        root = expect_root(self._call("maillist-detail", params={"id": list_id}), "maillist")
        item = root.find("item")
        return to_dataclass(MailList, item if item is not None else root)

    def maillist_add(self, *, subject: str, status: str = "enabled", description: str = "") -> int:
        """§4.3; returns the new list's id."""
        root = self._write(
            "maillist-add",
            data={"subject": subject, "status": status, "description": description},
        )
        data = xml.child_text(root, "data") or ""
        try:
            return int(data)
        except ValueError as exc:
            raise MalformedReply(f"maillist-add answered success without an id: {data!r}") from exc

    def maillist_edit(
        self,
        list_id: int,
        *,
        subject: str | None = None,
        status: str | None = None,
        description: str | None = None,
    ) -> WriteResult:
        """§4.4; only the fields given are sent."""
        fields = {"subject": subject, "status": status, "description": description}
        data = {k: v for k, v in fields.items() if v is not None}
        return self._result(self._write("maillist-edit", params={"id": list_id}, data=data))

    def maillist_del(self, list_id: int) -> WriteResult:
        """§4.5 deletes the list and its addresses."""
        return self._result(self._write("maillist-del", params={"id": list_id}))

    # -- exports (§4.6, §4.7) --------------------------------------------------------------------

    def export_subscriptions(self, list_id: int) -> Iterator[tuple[str, str]]:
        """§4.6 (email, name) for every address of the list, streamed."""
        stream = LineStream(
            self.transport.request(
                self.script, "subscription-export", params={"id": list_id}, stream=True
            )
        )
        return (_split_tab(line) for line in stream)

    def export_unsubscribes(self, list_id: int) -> Iterator[tuple[str, str]]:
        """§4.7 (time, email) for every unsubscribed address of the list, streamed."""
        stream = LineStream(
            self.transport.request(
                self.script, "unsubscribe-export", params={"id": list_id}, stream=True
            )
        )
        return (_split_tab(line) for line in stream)

    # -- addresses (§4.8 – §4.12) ----------------------------------------------------------------

    def addr_list(
        self,
        *,
        list_id: int | None = None,
        address_id: int | None = None,
        keyword: str | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> AddressPage:
        """§4.8 one page of addresses (list_id None: every list; 0: addresses in no list)."""
        params = {
            "list_id": list_id,
            "address_id": address_id,
            "keyword": keyword or None,
            "page": page,
            "limit": limit,
        }
        root = expect_root(self._call("ml-addr-list", params=params), "data")
        total_text = xml.child_text(root, "total_num") or "0"
        try:
            total = int(total_text)
        except ValueError as exc:
            raise MalformedReply(f"<total_num> is not a number: {total_text!r}") from exc
        rows = [Address.from_element(item) for item in root.findall("addr")]
        return AddressPage(total=total, addresses=rows, page=page, limit=limit)

    def iter_addresses(
        self, *, list_id: int | None = None, keyword: str | None = None, page_size: int = 500
    ) -> Iterator[Address]:
        """Every matching address, fetching §4.8 pages as the caller consumes them."""
        page = 1
        while True:
            result = self.addr_list(list_id=list_id, keyword=keyword, page=page, limit=page_size)
            yield from result.addresses
            if not result.addresses or page * page_size >= result.total:
                return
            page += 1

    def addr_get(self, address_id: int) -> Address | None:
        """§4.8 with address_id: one address, or None when the platform has no such address."""
        result = self.addr_list(address_id=address_id)
        return result.addresses[0] if result.addresses else None

    def addr_add(self, *, list_id: int, address: str, **fields) -> int | None:
        """§4.9.1 one address; returns its new id (return_id=1)."""
        data = {"list_id": list_id, "address": address, "return_id": 1}
        data.update(self._address_fields(fields))
        root = self._write("ml-addr-add", data=data)
        text = xml.child_text(root, "data") or ""
        return int(text) if text.strip().isdigit() else None

    def addr_add_batch(self, *, list_id: int, lines: Iterable[str]) -> WriteResult:
        """§4.9.2 up to 500 lines in the platform's format, one POST."""
        body = "\n".join(lines)
        return self._result(
            self._write("ml-addr-add", params={"list_id": list_id}, data={"ml_addr": body})
        )

    def addr_add_file(self, *, list_id: int, fileobj: IO[bytes], filename: str) -> int:
        """§4.9.3 upload a file of address lines; returns the id to query with §4.9.4.

        The multipart body is streamed from `fileobj`, never read into memory as a whole.
        """
        encoder = MultipartEncoder(
            fields={"file": (filename, fileobj, "text/plain; charset=utf-8")}
        )
        root = self._write(
            "ml-addr-add-file",
            params={"list_id": list_id},
            data=encoder,
            headers={"Content-Type": encoder.content_type},
        )
        text = xml.child_text(root, "data") or ""
        try:
            return int(text)
        except ValueError as exc:
            raise MalformedReply(
                f"ml-addr-add-file answered success without an id: {text!r}"
            ) from exc

    def addr_file_status(self, import_id: int) -> FileParseStatus:
        """§4.9.4 whether the platform has finished parsing an uploaded file."""
        try:
            root = self._call("ml-addr-add-file-query", params={"id": import_id})
        except PlatformRejected as exc:
            if exc.status in FILE_STATES:
                return FileParseStatus(exc.status, exc.detail)
            raise
        return FileParseStatus(
            xml.child_text(root, "status") or "success", xml.child_text(root, "data") or ""
        )

    def addr_edit(self, address_id: int, **fields) -> WriteResult:
        """§4.10; fields among address, fullname, sex, birthday, phone, area, var1..var10."""
        return self._result(
            self._write(
                "ml-addr-edit", params={"id": address_id}, data=self._address_fields(fields)
            )
        )

    def addr_del(self, address_id: int) -> WriteResult:
        """§4.11"""
        return self._result(self._write("ml-addr-del", params={"id": address_id}))

    def addr_empty(self, list_id: int) -> WriteResult:
        """§4.12 removes every address of the list (the list stays)."""
        return self._result(self._write("ml-addr-empty", params={"list_id": list_id}))

    # -- subscriptions (§4.13, §4.14) and import log (§4.15) -------------------------------------

    def subscribe(self, *, list_id: int, address: str, name: str | None = None) -> WriteResult:
        """§4.13 one address (the platform takes the local part as the name when none is given)."""
        # GET parameters (§4.13 L1880); only `maillist` may also be posted.
        params = {"list_id": list_id, "address": address}
        if name:
            params["name"] = name
        return self._result(self._write("ml-sub", params=params))

    def subscribe_many(self, *, list_id: int, entries: Iterable[tuple[str, str]]) -> WriteResult:
        """§4.13 `maillist`, one `email<TAB>name` a line (a tab: names may contain commas)."""
        body = "\n".join(
            f"{email}\t{_line_value(name)}" if name else email for email, name in entries
        )
        return self._result(
            self._write("ml-sub", params={"list_id": list_id}, data={"maillist": body})
        )

    def unsubscribe(self, *, list_id: int, addresses: Iterable[str]) -> WriteResult:
        """§4.14 one address a line."""
        body = "\n".join(addresses)
        return self._result(
            self._write("ml-unsub", params={"list_id": list_id}, data={"address": body})
        )

    def import_log(self) -> list[AddressLog]:
        """§4.15 the platform's record of file imports."""
        root = expect_root(self._call("ml-addr-add-log"), "result")
        data = root.find("data")
        if data is None:
            return []
        return [to_dataclass(AddressLog, item) for item in data.findall("address_log")]

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _address_fields(fields: dict) -> dict:
        allowed = set(LINE_FIELDS)
        unknown = set(fields) - allowed
        if unknown:
            raise TypeError(f"unknown address fields: {sorted(unknown)}")
        return {k: ("" if v is None else v) for k, v in fields.items()}

    @staticmethod
    def _result(root) -> WriteResult:
        expect_root(root, "result")
        return WriteResult(
            status=xml.child_text(root, "status") or "success",
            data=xml.child_text(root, "data") or "",
        )
