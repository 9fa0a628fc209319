from django import forms
from django.utils.translation import gettext_lazy as _


class TypedConfirmationForm(forms.Form):
    """Typed confirmation for what cannot be undone: the user types the name of what goes.

    Render it with `{% include "partials/typed_confirmation.html" with form=form %}`.
    """

    confirm = forms.CharField(label=_("Type the name to confirm"), max_length=255)

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected
        self.fields["confirm"].widget.attrs.update(
            autocomplete="off", autocapitalize="off", spellcheck="false"
        )

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected.strip():
            raise forms.ValidationError(_("That is not the name shown above; nothing was deleted."))
        return value
