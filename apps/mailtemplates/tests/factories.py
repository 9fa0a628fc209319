"""Factories for template tests (plain functions, like apps/accounts/tests/factories.py)."""

from __future__ import annotations

import itertools

from django.utils import timezone

from apps.mailtemplates.models import CheckResult, MailTemplate, TemplateAttachment, TemplateSync

_seq = itertools.count(90001)


def mail_template(account, **fields) -> MailTemplate:
    defaults = dict(
        platform_id=next(_seq),
        name="测试模板",
        subjects=["主题一"],
        html="<p>你好</p>",
        text="你好",
        check_result=CheckResult.GREEN,
        colour="green",
        check_status=1,
        size_status=1,
        size_kb=1,
    )
    defaults.update(fields)
    return MailTemplate.objects.create(account=account, **defaults)


def attachment(template, **fields) -> TemplateAttachment:
    defaults = dict(platform_id=next(_seq), name="file.pdf", size_bytes=1000)
    defaults.update(fields)
    return TemplateAttachment.objects.create(template=template, **defaults)


def synced(account) -> TemplateSync:
    """Mark the account's list as fetched, so that pages do not sync on a first visit."""
    return TemplateSync.objects.update_or_create(
        account=account, defaults={"synced_at": timezone.now()}
    )[0]
