"""§4 Contact lists (联系人分类) and their addresses."""

from __future__ import annotations

from .resource import Resource


class ContactsAPI(Resource):
    script = "mloperate.php"
