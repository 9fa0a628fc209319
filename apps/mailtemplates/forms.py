from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from apps.umail.templates import SUBJECT_SEPARATOR

from .content import SAMPLE_CONTACT, normalise_newlines
from .models import MailTemplate

MAX_SUBJECTS = 10
MAX_SUBJECT_CHARS = 200
MAX_HTML_BYTES = 2 * 1024 * 1024  # stays below Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)


def attachment_limits() -> dict[str, int]:
    """Stated on the page before anyone chooses a file, and enforced on upload."""
    return {
        "max_files": int(settings.MAILTEMPLATES_MAX_FILES_PER_UPLOAD),
        "max_file_bytes": int(settings.MAILTEMPLATES_MAX_ATTACHMENT_BYTES),
        "max_total_bytes": int(settings.MAILTEMPLATES_MAX_TOTAL_ATTACHMENT_BYTES),
    }


def limits_text() -> str:
    lim = attachment_limits()
    return _(
        "Up to %(files)d files at once, each at most %(each)s, all attachments of a template "
        "together at most %(total)s."
    ) % {
        "files": lim["max_files"],
        "each": filesizeformat(lim["max_file_bytes"]),
        "total": filesizeformat(lim["max_total_bytes"]),
    }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True

    def __init__(self, attrs=None):
        lim = attachment_limits()
        # Read by mailtemplates-editor.js to refuse too many or too large files before upload.
        base = {
            "class": "form-control",
            "data-max-files": lim["max_files"],
            "data-max-file-bytes": lim["max_file_bytes"],
        }
        super().__init__({**base, **(attrs or {})})


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def clean_attachments(files, *, existing_bytes: int = 0) -> list:
    lim = attachment_limits()
    if len(files) > lim["max_files"]:
        raise forms.ValidationError(
            ngettext(
                "Choose at most %(n)d file at once.",
                "Choose at most %(n)d files at once.",
                lim["max_files"],
            )
            % {"n": lim["max_files"]}
        )
    too_big = [f.name for f in files if f.size > lim["max_file_bytes"]]
    if too_big:
        raise forms.ValidationError(
            _("Larger than %(each)s: %(names)s.")
            % {"each": filesizeformat(lim["max_file_bytes"]), "names": ", ".join(too_big)}
        )
    empty = [f.name for f in files if f.size == 0]
    if empty:
        raise forms.ValidationError(_("Empty files: %(names)s.") % {"names": ", ".join(empty)})
    total = existing_bytes + sum(f.size for f in files)
    if total > lim["max_total_bytes"]:
        raise forms.ValidationError(
            _(
                "All attachments together would be %(total)s; a template may carry at most "
                "%(limit)s."
            )
            % {"total": filesizeformat(total), "limit": filesizeformat(lim["max_total_bytes"])}
        )
    return files


class SubjectsWidget(forms.Widget):
    """Several inputs of the same name, one subject each (rendered by the editor template)."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def value_omitted_from_data(self, data, files, name):
        return name not in data


class SubjectsField(forms.Field):
    widget = SubjectsWidget

    def to_python(self, value):
        if isinstance(value, str):
            value = [value]
        return [" ".join(v.split()) for v in (value or []) if v and v.strip()]

    def validate(self, value):
        if not value:
            raise forms.ValidationError(_("Enter at least one subject."), code="required")
        if len(value) > MAX_SUBJECTS:
            raise forms.ValidationError(
                _("At most %(n)d subjects.") % {"n": MAX_SUBJECTS}, code="too_many"
            )
        for subject in value:
            if SUBJECT_SEPARATOR in subject:
                raise forms.ValidationError(
                    _("A subject cannot contain “|”: the platform uses it to separate subjects."),
                    code="separator",
                )
            if len(subject) > MAX_SUBJECT_CHARS:
                raise forms.ValidationError(
                    _("Subjects are at most %(n)d characters.") % {"n": MAX_SUBJECT_CHARS},
                    code="too_long",
                )
        if len(set(value)) != len(value):
            raise forms.ValidationError(
                _("Two subjects are the same: each A/B subject must differ."), code="duplicate"
            )


class TemplateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    subjects = SubjectsField(
        label=_("Subjects"),
        help_text=_(
            "Several subjects make an A/B test: the platform sends each to part of the list."
        ),
    )
    html = forms.CharField(
        label=_("HTML body"),
        widget=forms.Textarea(
            attrs={"rows": 22, "spellcheck": "false", "class": "form-control font-monospace"}
        ),
        strip=False,
    )
    text = forms.CharField(
        label=_("Plain-text part"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "form-control"}),
        help_text=_(
            "Shown by clients that cannot display HTML. Generate it from the HTML, then edit."
        ),
    )
    encoding = forms.ChoiceField(
        label=_("Transfer encoding"),
        choices=MailTemplate.Encoding.choices,
        initial=MailTemplate.Encoding.BASE64,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_(
            "Base64 suits Chinese and other non-Latin text; quoted-printable keeps mostly-Latin "
            "mail readable in its raw form."
        ),
    )
    import_file = forms.FileField(
        label=_("Import an .html file or a .zip with its images"),
        required=False,
        help_text=_("Replaces the HTML body above. Images in a .zip are embedded into the HTML."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".html,.htm,.zip", "class": "form-control"}
        ),
    )
    acknowledge = forms.BooleanField(
        label=_("I have read the warnings; upload anyway"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, with_attachments: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_attachments:
            self.fields["attachments"] = MultipleFileField(
                label=_("Attachments"), required=False, help_text=limits_text()
            )

    def clean_html(self):
        html = normalise_newlines(self.cleaned_data["html"])
        if not html.strip():
            raise forms.ValidationError(_("The HTML body is empty."))
        if len(html.encode()) > MAX_HTML_BYTES:
            raise forms.ValidationError(
                _("The HTML is larger than %(size)s.") % {"size": filesizeformat(MAX_HTML_BYTES)}
            )
        return html

    def clean_text(self):
        return normalise_newlines(self.cleaned_data.get("text") or "")

    def clean_attachments(self):
        return clean_attachments(self.cleaned_data.get("attachments") or [])


class AttachmentsForm(forms.Form):
    files = MultipleFileField(label=_("Files to attach"))

    def __init__(self, *args, existing_bytes: int = 0, **kwargs):
        self.existing_bytes = existing_bytes
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = limits_text()

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if not files:
            raise forms.ValidationError(_("Choose at least one file."))
        return clean_attachments(files, existing_bytes=self.existing_bytes)


class SampleContactForm(forms.Form):
    """The merge values the preview fills in (a made-up contact unless changed)."""

    email = forms.CharField(label=_("E-mail address"), required=False)
    fullname = forms.CharField(label=pgettext_lazy("person", "Name"), required=False)
    sex = forms.CharField(label=_("Sex"), required=False)
    birthday = forms.CharField(label=_("Birthday"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    area = forms.CharField(label=_("Area"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, 11):
            self.fields[f"var{i}"] = forms.CharField(label=f"var{i}", required=False)

    def values(self) -> dict[str, str]:
        values = dict(SAMPLE_CONTACT)
        if self.is_bound and self.is_valid():
            values.update({k: v for k, v in self.cleaned_data.items() if v})
        return values
