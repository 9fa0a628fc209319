"""The base of the portal's own refusals (kept free of web imports: workers and the import
benchmark use it). Views show them through apps.core.errors.errors_as_messages."""

from __future__ import annotations

from django.utils.translation import gettext


class ApplicationError(Exception):
    """A refusal by the portal itself: `message` is a msgid (or a sentence already translated)
    with %(name)s placeholders filled from `params` when shown."""

    def __init__(self, message: str = "", /, **params):
        self.message_id = message
        self.params = params
        super().__init__(message)

    def __str__(self) -> str:
        text = gettext(self.message_id) if self.message_id else ""
        try:
            return text % self.params if self.params else text
        except (KeyError, ValueError, TypeError):  # a translation that dropped a placeholder
            return self.message_id % self.params
