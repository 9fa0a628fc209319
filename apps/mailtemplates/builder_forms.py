"""Forms of the visual builder and the plain-letter editor."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .forms import MAX_HTML_BYTES, SubjectsField


class ComposeForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    subjects = SubjectsField(label=_("Subject"))
    preheader = forms.CharField(
        label=_("Preheader"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_("The short line inboxes show after the subject."),
    )

    def subject_values(self) -> list[str]:
        """The subjects to show: the first, and every A/B subject the template already has."""
        value = self["subjects"].value()
        values = [value] if isinstance(value, str) else list(value or [])
        return values or [""]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())


class BuilderForm(ComposeForm):
    # Filled by mailtemplates-builder.js from the GrapesJS editor before the form is sent.
    html = forms.CharField(widget=forms.HiddenInput, strip=False)
    css = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    project = forms.CharField(widget=forms.HiddenInput, strip=False)

    def clean_html(self):
        html = self.cleaned_data["html"]
        if len(html.encode()) > MAX_HTML_BYTES:
            raise forms.ValidationError(
                _("The HTML is larger than %(size)s.") % {"size": filesizeformat(MAX_HTML_BYTES)}
            )
        return html


class RichTextForm(ComposeForm):
    body = forms.CharField(
        label=_("Letter"),
        strip=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 14}),
    )

    def clean_body(self):
        body = self.cleaned_data["body"]
        if len(body.encode()) > MAX_HTML_BYTES:
            raise forms.ValidationError(
                _("The letter is larger than %(size)s.") % {"size": filesizeformat(MAX_HTML_BYTES)}
            )
        return body
