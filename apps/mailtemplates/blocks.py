"""Saved blocks: a header, a footer (unsubscribe link and sender's address) and the brand
(colours and logo), kept per account and offered in the builder. A template carries a saved
block inside an element marked ``data-saved-block="<id>"``; changing the block offers to update
the templates that carry it."""

from __future__ import annotations

import re

from django.utils.html import escape

from .models import MailTemplate, SavedBlock
from .sanitise import sanitise_email_html


def saved_blocks_for_builder(*, account) -> list[dict]:
    return [
        {"id": b.pk, "name": b.name, "kind": b.kind, "html": block_html(b)}
        for b in SavedBlock.objects.filter(account=account)
    ]


def block_html(block: SavedBlock) -> str:
    """The block as it goes into a template: its HTML wrapped in its marker element."""
    inner = block.html
    if block.kind == SavedBlock.Kind.BRAND and not inner.strip():
        logo = (
            f'<img src="{escape(block.logo_url)}" alt="{escape(block.name)}" height="40" '
            'style="height:40px;width:auto">'
            if block.logo_url
            else escape(block.name)
        )
        inner = (
            f'<div style="padding:16px 24px;background-color:{block.brand_colour or "#2563eb"};'
            f'color:#ffffff;font-size:20px;font-weight:bold">{logo}</div>'
        )
    if (
        block.kind == SavedBlock.Kind.FOOTER
        and block.sender_address
        and "{$unsubscribe" not in inner
    ):
        inner += (
            '<div style="padding:12px 24px;font-size:12px;color:#6b7280;text-align:center" '
            f"data-unsubscribe>{escape(block.sender_address)}<br>"
            '<a href="{$unsubscribe_url}" style="color:#6b7280">退订 Unsubscribe</a></div>'
        )
    return f'<div data-saved-block="{block.pk}">{sanitise_email_html(inner)}</div>'


def _marker_re(block_id: int) -> re.Pattern:
    # The marker element and its content up to the next marker-level closing: saved blocks are
    # always one <div> whose own content has balanced <div>s (sanitised HTML).
    return re.compile(rf'<div data-saved-block="{block_id}"[^>]*>', re.I)


def templates_using(*, account, block: SavedBlock):
    return MailTemplate.objects.filter(
        account=account, html__contains=f'data-saved-block="{block.pk}"'
    )


def replace_block(html: str, block: SavedBlock) -> str:
    """Replace each copy of the block in `html` with its current version (div-balanced)."""
    pattern = _marker_re(block.pk)
    out, pos = [], 0
    for match in pattern.finditer(html):
        if match.start() < pos:
            continue
        depth, i = 1, match.end()
        tags = re.compile(r"<(/?)div\b[^>]*>", re.I)
        for tag in tags.finditer(html, match.end()):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                i = tag.end()
                break
        else:
            continue
        out.append(html[pos : match.start()])
        out.append(block_html(block))
        pos = i
    out.append(html[pos:])
    return "".join(out)


def saved_block_save(*, account, user, block: SavedBlock | None, **fields) -> SavedBlock:
    """Create or change a saved block (local only: the platform knows nothing of it)."""
    from apps.core.audit import audited

    block = block or SavedBlock(account=account)
    fields["html"] = sanitise_email_html(fields.get("html", ""))
    for name, value in fields.items():
        setattr(block, name, value)
    with audited(
        account=account,
        user=user,
        action="templates.block.save",
        target=f"{block.kind}: {block.name}",
    ):
        block.save()
    return block


def saved_block_apply(*, account, user, block: SavedBlock, templates) -> list[tuple]:
    """Put the block's current version into each template (§5.6 edit-tpl for each); returns
    (template, error message or "") per template. A builder project that still holds the old
    version is not rewritten: the builder then opens the current HTML and says so."""
    from apps.core.messages import platform_error_message
    from apps.umail.errors import UmailError

    from . import services

    outcomes = []
    for template in templates:
        html = replace_block(template.html, block)
        try:
            services.template_update(
                account=account,
                user=user,
                template=template,
                name=template.name,
                subjects=template.subjects,
                html=html,
                text=template.text,
                encoding=template.encoding,
            )
        except UmailError as exc:
            outcomes.append((template, platform_error_message(exc)))
        else:
            outcomes.append((template, ""))
    return outcomes
