"""The create wizard's steps: content, audience, sender and tracking, schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ABKind, ABMetric, ABMode, Campaign

SELECT = {"class": "form-select"}
TEXT = {"class": "form-control"}


class ContentForm(forms.Form):
    name = forms.CharField(
        label=_("Campaign name"),
        max_length=200,
        required=False,
        help_text=_("Only the portal shows it; recipients never see it."),
        widget=forms.TextInput(attrs=TEXT),
    )
    templates = forms.TypedMultipleChoiceField(
        label=_("Templates"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Several templates: the platform rotates them (and each template's subjects) over "
            "the recipients."
        ),
    )
    ab_test = forms.BooleanField(
        label=_("A/B test with a winner: send the variants to a test slice first"),
        required=False,
    )
    ab_kind = forms.ChoiceField(
        label=_("Variants"),
        choices=ABKind.choices,
        initial=ABKind.TEMPLATES,
        widget=forms.RadioSelect,
        required=False,
    )
    ab_percent = forms.IntegerField(
        label=_("Test slice (% of the audience, shared by the variants)"),
        min_value=1,
        max_value=50,
        initial=10,
        required=False,
        widget=forms.NumberInput(attrs=TEXT),
    )
    ab_metric = forms.ChoiceField(
        label=_("The winner has the best"),
        choices=ABMetric.choices,
        initial=ABMetric.OPENS,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    ab_mode = forms.ChoiceField(
        label=_("Choose the winner"),
        choices=ABMode.choices,
        initial=ABMode.AUTO,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    ab_wait_hours = forms.DecimalField(
        label=_("Wait before choosing (hours)"),
        min_value=Decimal("0"),
        max_value=Decimal("168"),
        decimal_places=2,
        initial=Decimal("4"),
        required=False,
        widget=forms.NumberInput(attrs={**TEXT, "step": "0.25"}),
    )

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.template_objects = {t.platform_id: t for t in templates}
        self.fields["templates"].choices = [
            (t.platform_id, f"{t.name} — {' | '.join(t.subjects or [])}") for t in templates
        ]

    def clean(self):
        data = super().clean()
        chosen = data.get("templates") or []
        if data.get("ab_test"):
            kind = data.get("ab_kind") or ABKind.TEMPLATES
            data["ab_kind"] = kind
            if kind == ABKind.TEMPLATES and len(chosen) < 2:
                self.add_error("templates", _("An A/B test of templates needs two or more."))
            if kind == ABKind.SUBJECTS:
                if len(chosen) != 1:
                    self.add_error("templates", _("An A/B test of subjects takes one template."))
                else:
                    template = self.template_objects.get(chosen[0])
                    if template is None or len(template.subjects or []) < 2:
                        self.add_error(
                            "templates",
                            _("This template has one subject: add more to test them."),
                        )
            for name, default in (
                ("ab_percent", 10),
                ("ab_metric", ABMetric.OPENS),
                ("ab_mode", ABMode.AUTO),
                ("ab_wait_hours", Decimal("4")),
            ):
                if data.get(name) in (None, ""):
                    data[name] = default
        return data

    def ab_plan(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("ab_test"):
            return None
        return {
            "kind": data["ab_kind"],
            "percent": int(data["ab_percent"]),
            "metric": data["ab_metric"],
            "mode": data["ab_mode"],
            "wait_hours": str(data["ab_wait_hours"]),
        }


class AudienceForm(forms.Form):
    RANGE_CHOICES = (("all", _("The whole list")), ("range", _("A range of it")))

    maillist = forms.TypedChoiceField(
        label=_("Contact list"), coerce=int, widget=forms.Select(attrs=SELECT)
    )
    scope = forms.ChoiceField(
        label=_("Send to"), choices=RANGE_CHOICES, initial="all", widget=forms.RadioSelect
    )
    range_start = forms.IntegerField(
        label=_("From address no."),
        min_value=1,
        initial=1,
        required=False,
        widget=forms.NumberInput(attrs=TEXT),
    )
    range_end = forms.IntegerField(
        label=_("To address no. (empty: to the end)"),
        min_value=1,
        required=False,
        widget=forms.NumberInput(attrs=TEXT),
    )

    def __init__(self, *args, lists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lists = {m.platform_id: m for m in lists}
        self.fields["maillist"].choices = [
            (
                m.platform_id,
                _("%(name)s (%(count)s addresses%(disabled)s)")
                % {
                    "name": m.subject,
                    "count": f"{m.count:,}",
                    "disabled": "" if m.enabled else _(", disabled"),
                },
            )
            for m in lists
        ]

    def clean(self):
        data = super().clean()
        if data.get("scope") == "range":
            start = data.get("range_start") or 1
            end = data.get("range_end") or 0
            if end and end < start:
                self.add_error("range_end", _("The range ends before it starts."))
            data["range_start"], data["range_end"] = start, end
        else:
            data["range_start"], data["range_end"] = 1, 0
        maillist = self.lists.get(data.get("maillist"))
        if maillist is not None and not maillist.enabled:
            self.add_error("maillist", _("This list is disabled: enable it on the contacts page."))
        elif maillist is not None and maillist.count == 0:
            self.add_error("maillist", _("This list is empty."))
        return data


class SenderForm(forms.Form):
    sender_kind = forms.ChoiceField(
        label=_("Send from"),
        choices=Campaign.SenderKind.choices,
        initial=Campaign.SenderKind.ADDRESS,
        widget=forms.RadioSelect,
    )
    send_domain = forms.ChoiceField(
        label=_("Sender domain"), required=False, widget=forms.Select(attrs=SELECT)
    )
    send_account = forms.ChoiceField(
        label=_("Sender mailbox"), required=False, widget=forms.Select(attrs=SELECT)
    )
    sender_name = forms.CharField(
        label=_("Sender name"), max_length=200, widget=forms.TextInput(attrs=TEXT)
    )
    reply_to = forms.EmailField(
        label=_("Reply-to address"),
        required=False,
        help_text=_("Empty: replies go to the sender."),
        widget=forms.EmailInput(attrs=TEXT),
    )
    track_status = forms.TypedChoiceField(
        label=_("Tracking"),
        coerce=int,
        choices=Campaign.Tracking.choices,
        initial=Campaign.Tracking.OPENS_CLICKS,
        widget=forms.RadioSelect,
    )
    track_domain = forms.ChoiceField(
        label=_("Tracking domain"), required=False, widget=forms.Select(attrs=SELECT)
    )
    subs_link = forms.BooleanField(
        label=_("Add an unsubscribe link"),
        required=False,
        initial=True,
        help_text=_("Strongly recommended: without it more mail is reported as spam."),
    )

    def __init__(self, *args, domains=(), mailboxes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["send_domain"].choices = [("", _("— choose a domain —"))] + [
            (d.domain, _("%(domain)s (system)") % {"domain": d.domain} if d.is_system else d.domain)
            for d in domains
        ]
        self.fields["send_account"].choices = [("", _("— choose a mailbox —"))] + [
            (m.address, m.address) for m in mailboxes
        ]
        self.fields["track_domain"].choices = [("", _("The platform's own"))] + [
            (d.domain, d.domain) for d in domains if not d.is_system
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("sender_kind")
        if kind == Campaign.SenderKind.DOMAIN and not data.get("send_domain"):
            self.add_error("send_domain", _("Choose the domain whose senders take turns."))
        if kind == Campaign.SenderKind.ADDRESS and not data.get("send_account"):
            self.add_error("send_account", _("Choose the sender mailbox."))
        if kind != Campaign.SenderKind.DOMAIN:
            data["send_domain"] = ""
        if kind != Campaign.SenderKind.ADDRESS:
            data["send_account"] = ""
        return data


class ScheduleForm(forms.Form):
    WHEN = (("now", _("Send now")), ("later", _("At a set time")))

    when = forms.ChoiceField(label=_("When"), choices=WHEN, initial="now", widget=forms.RadioSelect)
    send_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(
            attrs={**TEXT, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        help_text=_("In your time zone (%(zone)s)."),
    )
    hold = forms.BooleanField(
        label=_("Create it on hold: it is not sent until you resume it"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["send_at"].help_text = self.fields["send_at"].help_text % {
            "zone": timezone.get_current_timezone_name()
        }

    def clean(self):
        data = super().clean()
        if data.get("when") == "later":
            when = data.get("send_at")
            if when is None:
                self.add_error("send_at", _("Pick the date and time."))
            elif when <= timezone.now() + dt.timedelta(minutes=1):
                self.add_error("send_at", _("Pick a time in the future."))
        else:
            data["send_at"] = None
        return data
