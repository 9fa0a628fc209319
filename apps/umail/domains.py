"""§7 Sender domains and their mailboxes."""

from __future__ import annotations

from .resource import Resource


class DomainsAPI(Resource):
    script = "bs.php"
