"""§5.2–§5.8 Mail templates, their content check and attachments."""

from __future__ import annotations

from .resource import Resource


class TemplatesAPI(Resource):
    script = "template.php"
