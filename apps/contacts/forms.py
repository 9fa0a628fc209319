from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .importing import EMAIL_RE, FIELDS
from .models import VAR_FIELDS, MailList

FIELD_LABELS = {
    "address": _("E-mail address"),
    "fullname": pgettext_lazy("person", "Name"),
    "sex": _("Sex"),
    "birthday": _("Birthday"),
    "phone": _("Phone"),
    "area": _("Area"),
}


class BootstrapMixin:
    """Bootstrap 5 classes on every widget, so templates can render fields as they are."""

    _styled = False

    def __iter__(self):
        self.style()
        return super().__iter__()

    def __getitem__(self, name):
        self.style()
        return super().__getitem__(name)

    def style(self) -> None:
        if self._styled:
            return
        self._styled = True
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def field_label(name: str, var_labels: dict[str, str]) -> str:
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    return var_labels.get(name) or name


def validate_email_syntax(value: str) -> str:
    value = (value or "").strip()
    if len(value) > 254 or not EMAIL_RE.fullmatch(value):
        raise forms.ValidationError(_("Enter a valid e-mail address."))
    return value


class ListForm(BootstrapMixin, forms.Form):
    subject = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=MailList.Status.choices, initial=MailList.Status.ENABLED
    )


class VariableNamesForm(BootstrapMixin, forms.Form):
    """Names for var1–var10 of one list (kept locally)."""

    def __init__(self, *args, labels: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for var in VAR_FIELDS:
            self.fields[var] = forms.CharField(
                label=_("Name of %(var)s") % {"var": var},
                max_length=60,
                required=False,
                initial=(labels or {}).get(var, ""),
                help_text=_("Merge tag: {%(var)s}") % {"var": var},
            )

    def clean(self):
        data = super().clean()
        names = [v.strip().lower() for v in data.values() if v and v.strip()]
        if len(names) != len(set(names)):
            raise forms.ValidationError(_("Two variables cannot have the same name."))
        return data


class AddressForm(BootstrapMixin, forms.Form):
    SEX_CHOICES = [("", _("Not given")), ("M", _("Male")), ("F", _("Female"))]

    address = forms.CharField(label=_("E-mail address"), max_length=254)
    fullname = forms.CharField(
        label=pgettext_lazy("person", "Name"), max_length=100, required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES, required=False)
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    area = forms.CharField(label=_("Area"), max_length=200, required=False)

    def __init__(self, *args, var_labels: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for var in VAR_FIELDS:
            self.fields[var] = forms.CharField(
                label=(var_labels or {}).get(var) or var, max_length=255, required=False
            )

    def clean_address(self):
        return validate_email_syntax(self.cleaned_data["address"])

    def clean_birthday(self):
        value = self.cleaned_data.get("birthday")
        if value and not (dt.date(1900, 1, 1) <= value <= dt.date.today()):
            raise forms.ValidationError(_("Enter a birthday between 1900 and today."))
        return value

    def platform_values(self) -> dict[str, str]:
        data = self.cleaned_data
        values = {k: (data.get(k) or "") for k in FIELDS if k in self.fields}
        values["birthday"] = data["birthday"].isoformat() if data.get("birthday") else ""
        for key, value in values.items():
            values[key] = value.replace(";", ",").strip() if isinstance(value, str) else value
        return values


class ConfirmNameForm(BootstrapMixin, forms.Form):
    """Typed confirmation: the marketer types the list's name to empty it."""

    confirm = forms.CharField(label=_("Type the list's name to confirm"), max_length=255)

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected.strip():
            raise forms.ValidationError(_("That is not the list's name; nothing was changed."))
        return value


class ImportUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("Address file (CSV, TXT or XLSX)"),
        help_text=_(
            "UTF-8, GBK/GB18030 or Big5 text; any delimiter, with or without a header row; or an "
            "Excel .xlsx workbook (first sheet)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv,text/plain"}),
    )


class ImportMappingForm(BootstrapMixin, forms.Form):
    has_header = forms.BooleanField(label=_("The first row is a header"), required=False)

    def __init__(self, *args, columns: int, initial_mapping: list[str], var_labels, headers, **kw):
        super().__init__(*args, **kw)
        choices = [("", _("— ignore this column —"))] + [
            (name, field_label(name, var_labels)) for name in FIELDS
        ]
        self.columns = columns
        for i in range(columns):
            title = headers[i] if i < len(headers) and headers[i] else ""
            label = _("Column %(n)s") % {"n": i + 1}
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=f"{label} ({title})" if title else label,
                choices=choices,
                required=False,
                initial=initial_mapping[i] if i < len(initial_mapping) else "",
            )

    def clean(self):
        data = super().clean()
        mapping = [data.get(f"col_{i}") or "" for i in range(self.columns)]
        used = [m for m in mapping if m]
        if "address" not in used:
            raise forms.ValidationError(_("Choose the column that holds the e-mail addresses."))
        if len(used) != len(set(used)):
            raise forms.ValidationError(_("Each field can be chosen for one column only."))
        data["mapping"] = mapping
        return data


class SubscriptionForm(BootstrapMixin, forms.Form):
    ACTIONS = [("subscribe", _("Subscribe")), ("unsubscribe", _("Unsubscribe"))]

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS, widget=forms.RadioSelect)
    addresses = forms.CharField(
        label=_("Addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "One address a line; to subscribe with a name: address, name (or a tab between)."
        ),
    )
    file = forms.FileField(
        label=_("Or a text file of addresses (UTF-8)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv,text/plain,text/csv"}),
    )

    MAX_FILE_BYTES = 5 * 1024 * 1024

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        text = data.get("addresses") or ""
        if upload:
            if upload.size > self.MAX_FILE_BYTES:
                raise forms.ValidationError(
                    _("The file is larger than 5 MB; import large lists with “Import” instead.")
                )
            raw = upload.read()
            if b"\x00" in raw[:4096]:
                raise forms.ValidationError(_("This is not a text file."))
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text += "\n" + raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
        if not text.strip():
            raise forms.ValidationError(_("Paste addresses or choose a file."))
        data["text"] = text
        return data
