"""The in-app guide (first steps) and the glossary of the platform's terms.

Field help uses the same sentences: `{% load portal %}{% term "batch_number" %}` puts a small
help link beside a label, and `help_text=TERM_HELP["batch_number"]` explains a form field.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Term:
    key: str
    name: object  # lazy translation
    platform_name: str  # the platform's own Chinese term, as marketers see it in its console
    text: object

    @property
    def anchor(self) -> str:
        return f"term-{self.key.replace('_', '-')}"


GLOSSARY = [
    Term(
        "contact_list",
        _("Contact list"),
        "联系人分类",
        _(
            "A list of recipient addresses on the platform. Campaigns are sent to one list, or "
            "to a range of it; a disabled list cannot be sent to."
        ),
    ),
    Term(
        "template",
        _("Template"),
        "模板",
        _(
            "The message: subjects, HTML and plain-text body and attachments. The platform checks "
            "every saved template for spam-like content (green, yellow or red); a red template is "
            "not sent."
        ),
    ),
    Term(
        "send_task",
        _("Campaign (send task)"),
        "群发任务",
        _(
            "One send of templates to a list from a sender, now or at a set time. The platform "
            "calls it a send task and accepts at most 100 new ones an hour."
        ),
    ),
    Term(
        "batch_number",
        _("Batch number"),
        "批次号",
        _(
            "The number the platform gives each campaign when it is created (also called its "
            "ident or sn). Use it to find a campaign in the platform's console and in reports."
        ),
    ),
    Term(
        "send_id",
        _("Send id"),
        "发送任务 ID",
        _(
            "The id of the campaign itself (send_id). Tracking of opens and clicks is looked up "
            "with it or with the batch number."
        ),
    ),
    Term(
        "statistics_task_id",
        _("Statistics task id"),
        "统计任务 ID",
        _(
            "A different number from the send id: the id of the delivery statistics the platform "
            "keeps for a campaign (task_id). Failed-address exports ask for this one, not for the "
            "send id; the portal fills it in for you."
        ),
    ),
    Term(
        "deduction",
        _("Deduction"),
        "扣点",
        _(
            "The credits taken from your quota for sending. The platform first reserves a "
            "provisional deduction for the addresses a campaign will send to, then settles the "
            "actual deduction once it has sent; the daily deduction report lists it by day and "
            "type, a campaign's statistics per campaign."
        ),
    ),
    Term(
        "quota",
        _("Quota"),
        "配额",
        _(
            "The credits you bought. With a total quota they last the whole service period; with "
            "a daily quota a fixed number is available each day."
        ),
    ),
    Term(
        "sender",
        _("Sender"),
        "发件人",
        _(
            "The address a campaign is sent from: a mailbox of one of your verified sender "
            "domains, with the name recipients see."
        ),
    ),
    Term(
        "unsubscribe",
        _("Unsubscribe"),
        "退订",
        _(
            "Recipients who click the unsubscribe link are removed from the list and not sent "
            "to again. Keep the link on: it is also what keeps your mail out of spam folders."
        ),
    ),
    Term(
        "tracking",
        _("Tracking"),
        "跟踪统计",
        _(
            "Opens (a tiny image in the message) and clicks (links rewritten through the "
            "platform) counted per recipient, when tracking is switched on for a campaign."
        ),
    ),
]

TERMS = {term.key: term for term in GLOSSARY}
TERM_HELP = {term.key: term.text for term in GLOSSARY}


@dataclass(frozen=True)
class GuideStep:
    number: int
    title: object
    text: object
    url: str


_STEPS = [
    (
        _("Contact lists"),
        _("Create a list and import your recipients from a CSV or Excel file."),
        "contacts:index",
    ),
    (
        _("Template"),
        _("Write or paste your message; the platform checks it for spam-like content."),
        "mailtemplates:index",
    ),
    (
        _("Campaign"),
        _("Send a template to a list from one of your senders, now or at a set time."),
        "campaigns:index",
    ),
    (
        _("Report"),
        _("See delivery, opens, clicks and unsubscribes of each campaign."),
        "analytics:index",
    ),
]


def guide_steps() -> list[GuideStep]:
    """Lists → template → campaign → report; a step links to its page once that page exists."""
    steps = []
    for number, (title, text, name) in enumerate(_STEPS, 1):
        try:
            url = reverse(name)
        except NoReverseMatch:
            url = ""
        steps.append(GuideStep(number, title, text, url))
    return steps
