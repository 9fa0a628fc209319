"""Saved blocks: the list, the form, and updating the templates that use a changed block."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.decorators import account_required

from .blocks import block_html, saved_block_apply, saved_block_save, templates_using
from .models import SavedBlock


class SavedBlockForm(forms.ModelForm):
    brand_colour = forms.RegexField(
        label=gettext_lazy("brand colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        widget=forms.TextInput(attrs={"type": "color", "class": "form-control form-control-color"}),
    )
    accent_colour = forms.RegexField(
        label=gettext_lazy("accent colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        widget=forms.TextInput(attrs={"type": "color", "class": "form-control form-control-color"}),
    )

    logo_url = forms.URLField(
        label=gettext_lazy("logo address"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "form-control"}),
    )

    class Meta:
        model = SavedBlock
        fields = ["kind", "name", "html", "brand_colour", "accent_colour", "logo_url"]
        fields += ["sender_address"]
        widgets = {
            "kind": forms.Select(attrs={"class": "form-select"}),
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "html": forms.Textarea(
                attrs={"class": "form-control font-monospace", "rows": 6, "spellcheck": "false"}
            ),
            "sender_address": forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        }


@require_http_methods(["GET", "POST"])
@account_required(role="editor")
def blocks_view(request, pk: int | None = None):
    block = get_object_or_404(SavedBlock, pk=pk, account=request.account) if pk else None
    form = SavedBlockForm(request.POST or None, instance=block)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        block = saved_block_save(account=request.account, user=request.user, block=block, **fields)
        used = templates_using(account=request.account, block=block).count()
        messages.success(request, _("Block “%(name)s” saved.") % {"name": block.name})
        if used:
            messages.info(
                request,
                _("%(n)d templates use this block: update them below.") % {"n": used},
            )
        return redirect("mailtemplates:block", pk=block.pk)
    return render(
        request,
        "mailtemplates/blocks.html",
        {
            "form": form,
            "saved": block,
            "blocks": SavedBlock.objects.filter(account=request.account),
            "using": list(templates_using(account=request.account, block=block)) if block else [],
            "preview": block_html(block) if block else "",
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@account_required(role="editor")
def block_apply_view(request, pk: int):
    block = get_object_or_404(SavedBlock, pk=pk, account=request.account)
    chosen = {int(v) for v in request.POST.getlist("template") if v.isdigit()}
    templates = [t for t in templates_using(account=request.account, block=block) if t.pk in chosen]
    outcomes = saved_block_apply(
        account=request.account, user=request.user, block=block, templates=templates
    )
    for template, error in outcomes:
        if error:
            messages.error(request, f"{template.name}: {error}")
    done = [t for t, error in outcomes if not error]
    if done:
        messages.success(
            request,
            _("Updated %(names)s. The platform is checking them again.")
            % {"names": ", ".join(t.name for t in done)},
        )
    return redirect("mailtemplates:block", pk=block.pk)
