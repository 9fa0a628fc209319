"""§5.1/§6 Send tasks (campaigns) and §2.1 the task list.

The dataclasses keep the platform's time text and offer aware datetimes as properties
(converted by apps.umail.times). Not Celery tasks: these are the platform's send tasks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import xml
from .errors import MalformedReply, PlatformRejected
from .resource import Resource
from .times import parse_platform_time, to_platform_time
from .xml import expect_root, to_dataclass, xml_names

#: §6.1 / §2.1 send status codes; the documented range is -5..4, others must still display.
STATUS_CODES = (-3, -2, -1, 1, 2, 3)


# -- The portal's guess where §6.3 is silent: pausing, cancelling, resuming a sending task ------
#
# §6.3 documents `send_status` 1 (wait), -1 (hold, 暂不发送) and 2 (send now) only (L3035);
# §6.1 reports -2 (paused) and -3 (cancelled) but documents no way to reach them. The portal
# *tries* -2 to pause and -3 to cancel, here and nowhere else. A platform that refuses them
# (the strict sandbox does) raises `UndocumentedStatusRefused`, and the campaign service
# explains and offers the documented moves (`DOCUMENTED_EDIT_STATUSES`, §6.4 delete).
# See docs/PLATFORM.md, "Pause and cancel".
DOCUMENTED_EDIT_STATUSES = {"hold": -1, "release": 1, "send_now": 2}
UNDOCUMENTED_EDIT_STATUSES = {"pause": -2, "cancel": -3}


class UndocumentedStatusRefused(PlatformRejected):
    """The platform refused a `send_status` the manual does not document for §6.3."""

    def __init__(self, send_status: int, refused: PlatformRejected):
        super().__init__(refused.status, refused.detail, status_code=refused.status_code)
        self.send_status = send_status


@dataclass(frozen=True)
class TaskTemplate:
    tpl_id: int | None = None
    tpl_name: str = ""


@dataclass(frozen=True)
class TaskList:
    list_id: int | None = None
    list_name: str = ""


@dataclass(frozen=True)
class SendTask:
    """§6.1 one send task."""

    id: int | None = None
    sn: str = ""
    acct_type: str = ""  # all / domain / address
    acct_domain: str = ""
    acct_address: str = ""
    sender: str = ""
    replyto: str = ""
    sender_name: str = ""
    addr_type: int = 0
    send_qty: int = 0
    # The documentation's spelling; the planned number of recipients.
    send_qty_remak: int = xml_names("send_qty_remak", "send_qty_remark", default=0)
    send_time: str = ""
    time_start: str = ""
    time_end: str = ""
    send_count: int = 0
    error_count: int = 0
    send_status: int | None = xml_names("send_status", "send_satus")
    track_status: int = 0
    # Nested elements, filled by from_element (no xml names: to_dataclass leaves them alone).
    templates: tuple[TaskTemplate, ...] = field(default=(), metadata={"xml": ()})
    lists: tuple[TaskList, ...] = field(default=(), metadata={"xml": ()})

    @classmethod
    def from_element(cls, element) -> SendTask:
        task = to_dataclass(cls, element)
        templates = tuple(
            to_dataclass(TaskTemplate, t) for t in element.findall("templates/template")
        )
        lists = tuple(to_dataclass(TaskList, i) for i in element.findall("listes/item"))
        return cls(**{**task.__dict__, "templates": templates, "lists": lists})

    @property
    def send_at(self) -> dt.datetime | None:
        return parse_platform_time(self.send_time)

    @property
    def started_at(self) -> dt.datetime | None:
        return parse_platform_time(self.time_start)

    @property
    def ended_at(self) -> dt.datetime | None:
        return parse_platform_time(self.time_end)

    @property
    def template_ids(self) -> list[int]:
        return [t.tpl_id for t in self.templates if t.tpl_id is not None]

    @property
    def list_id(self) -> int | None:
        return self.lists[0].list_id if self.lists else None


@dataclass(frozen=True)
class TaskSummary:
    """§2.1 one task of the statistics list (`send_satus` sic; `tpl_id` may be `1,2`)."""

    id: int | None = None
    sn: str = ""
    sender: str = ""
    sender_name: str = ""
    replyto: str = ""
    tpl_id: str = ""
    tpl_name: str = ""
    addr_type: int = 0
    list_id: int | None = None
    list_name: str = ""
    send_qty: int = 0
    send_qty_remak: int = xml_names("send_qty_remak", "send_qty_remark", default=0)
    send_time: str = ""
    send_status: int | None = xml_names("send_satus", "send_status")
    time_start: str = ""
    time_end: str = ""
    send_count: int = 0
    error_count: int = 0
    track_status: int = 0

    @property
    def template_ids(self) -> list[int]:
        return [int(p) for p in self.tpl_id.split(",") if p.strip().isdigit()]


@dataclass(frozen=True)
class TaskParams:
    """What add-task (§5.1/§6.2) and edit-task (§6.3) take."""

    tpl_ids: tuple[int, ...]
    maillist_id: int
    time: dt.datetime
    send_domain: str = "all"
    send_account: str = "all"
    send_fullname: str = ""
    send_replyto: str = ""
    send_qty_start: int = 1
    send_qty: int = 0  # 0: to the end of the list
    status: int = 1  # 1 waiting, -1 hold, 2 send now
    subs_link: bool = True
    track_status: int = 0
    track_domain: str = ""

    def as_params(self, *, edit: bool = False) -> dict[str, str]:
        params = {
            "tpl_id": ",".join(str(t) for t in self.tpl_ids),
            "maillist_id": str(self.maillist_id),
            "send_domain": self.send_domain or "all",
            "send_account": self.send_account or "all",
            "send_fullname": self.send_fullname,
            "send_replyto": self.send_replyto,
            "send_qty_start": str(self.send_qty_start),
            "send_qty": str(self.send_qty),
            "subs_link": "1" if self.subs_link else "0",
            "track_status": str(self.track_status),
            "track_domain": self.track_domain,
        }
        # §6.3's parameter list calls them send_status / send_time (L3035-3037), its sample URL
        # `time=` (L2992): an edit sends both names; §5.1/§6.2 say status / time.
        params["send_status" if edit else "status"] = str(self.status)
        params["time"] = to_platform_time(self.time)
        if edit:
            params["send_time"] = params["time"]
        return params


@dataclass(frozen=True)
class WriteResult:
    status: str
    data: str


class TasksAPI(Resource):
    script = "task.php"

    def add_task(self, params: TaskParams) -> int:
        """§5.1/§6.2; returns the new send task id. At most 100 calls an hour (the caller
        counts them: apps.campaigns.ratelimit)."""
        root = expect_root(self._write("add-task", data=params.as_params()), "result")
        text = xml.child_text(root, "id") or ""
        try:
            return int(text)
        except ValueError as exc:
            raise MalformedReply(f"add-task answered success without an id: {text!r}") from exc

    def task_list(
        self,
        *,
        task_id: int | None = None,
        page: int | None = None,
        limit: int | None = None,
        date: dt.date | None = None,
        send_status: int | str | None = None,
    ) -> list[SendTask]:
        """§6.1; without page and limit the platform returns every task."""
        params = {
            "id": task_id,
            "page": page,
            "limit": limit,
            "date": date.isoformat() if date else None,
            "send_status": send_status,
        }
        root = expect_root(self._call("task-list", params=params), "task_list")
        return [SendTask.from_element(t) for t in root.findall("task")]

    def get_task(self, task_id: int) -> SendTask | None:
        """§6.1 with id: the task, or None when the platform no longer has it."""
        found = [t for t in self.task_list(task_id=task_id) if t.id == task_id]
        return found[0] if found else None

    def iter_tasks(
        self, *, page_size: int = 100, date: dt.date | None = None
    ) -> Iterator[SendTask]:
        """Every task, newest first, a §6.1 page at a time (a page shorter than the size is
        the last)."""
        page = 1
        while True:
            batch = self.task_list(page=page, limit=page_size, date=date)
            yield from batch
            if len(batch) < page_size:
                return
            page += 1

    def edit_task(
        self, task_id: int, params: TaskParams | None = None, *, send_status: int | None = None
    ) -> WriteResult:
        """§6.3. With `params` every field is sent (what the platform keeps for absent ones is
        not documented); `send_status` overrides the status (documented: -1 hold, 1 wait, 2 send
        now; the portal's guess: -2 pause, -3 cancel, see UNDOCUMENTED_EDIT_STATUSES)."""
        data = params.as_params(edit=True) if params is not None else {}
        if send_status is not None:
            data["send_status"] = str(send_status)
        try:
            root = self._write("edit-task", params={"id": task_id}, data=data)
        except PlatformRejected as exc:
            if send_status in UNDOCUMENTED_EDIT_STATUSES.values():
                raise UndocumentedStatusRefused(send_status, exc) from exc
            raise
        return self._result(root)

    def del_task(self, task_id: int) -> WriteResult:
        """§6.4"""
        return self._result(self._write("del-task", params={"id": task_id}))

    def list_task(
        self,
        *,
        date: dt.date | None = None,
        ident: str | None = None,
        task_id: int | None = None,
        state: int | None = None,
    ) -> list[TaskSummary]:
        """§2.1 tasks of a send date, or one task by batch number or id."""
        if date is None and not ident and task_id is None:
            raise ValueError("list_task needs date, ident or task_id")
        params = {
            "date": date.isoformat() if date else None,
            "ident": ident or None,
            "id": task_id,
            "state": state,
        }
        root = expect_root(self._call("list-task", params=params), "task_list")
        return [to_dataclass(TaskSummary, t) for t in root.findall("task")]

    @staticmethod
    def _result(root) -> WriteResult:
        expect_root(root, "result")
        return WriteResult(
            status=xml.child_text(root, "status") or "success",
            data=xml.child_text(root, "data") or "",
        )
