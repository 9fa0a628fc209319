from django import forms
from django.utils.translation import gettext_lazy as _

from apps.campaigns.forms import TEXT


class DecideForm(forms.Form):
    winner = forms.TypedChoiceField(label=_("Winner"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, variants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["winner"].choices = [
            (v.pk, f"{v.ab_label}: {v.display_name}") for v in variants
        ]


class ResendForm(forms.Form):
    list_name = forms.CharField(
        label=_("Name of the new list"), max_length=255, widget=forms.TextInput(attrs=TEXT)
    )
