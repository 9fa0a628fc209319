"""Questions a lower app asks and apps above it answer, so that imports only go downward.

The asking app defines the hook where it needs the answer; the answering app registers in its
AppConfig.ready(). Example: contacts warns before deleting a list that campaigns still use:

    # apps/contacts/selectors.py
    scheduled_campaigns_for_list = Hook("contacts.scheduled_campaigns_for_list")
    campaigns = scheduled_campaigns_for_list.collect(account=account, list_id=list_id)

    # apps/campaigns/apps.py, ready()
    scheduled_campaigns_for_list.answer(selectors.scheduled_for_list)
"""

from __future__ import annotations

from collections.abc import Callable


class Hook:
    def __init__(self, name: str):
        self.name = name
        self._answers: list[Callable] = []

    def answer(self, func: Callable) -> Callable:
        """Register `func(**kwargs)`; usable as a decorator. Registering twice is harmless."""
        if func not in self._answers:
            self._answers.append(func)
        return func

    def ask(self, **kwargs) -> list:
        """Every registered answer, in registration order (empty when no app answers)."""
        return [func(**kwargs) for func in self._answers]

    def collect(self, **kwargs) -> list:
        """The answers' items in one list, for hooks whose answers are lists."""
        return [item for answer in self.ask(**kwargs) for item in answer]
