"""§5.1/§6 Send tasks (campaigns) and §2.1 the task list."""

from __future__ import annotations

from .resource import Resource


class TasksAPI(Resource):
    script = "task.php"
