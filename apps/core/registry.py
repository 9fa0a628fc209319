"""Hooks other apps fill in, so operations commands cover features that land later.

Register from your AppConfig.ready():

    from apps.core.registry import register_encrypted_field, register_resync, register_snapshot

    # Columns named `*_encrypted` are found by themselves; register any other Fernet column.
    register_encrypted_field("smtp.SmtpSettings", "relay_token")

    @register_resync("contacts.lists", _("Contact lists"), order=30)
    def resync_lists(*, account):
        ...  # fetch everything for `account` and replace the local mirror; must be idempotent

    register_snapshot("analytics.StatsSnapshot", "taken_at", days=730, label=_("Statistics"))

A resync step runs in a Celery task that may be delivered twice: it must give the same result
when repeated (overwrite, never append), and it may raise UmailError (retried when retryable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps


@dataclass(frozen=True)
class EncryptedField:
    model_label: str  # "app_label.ModelName"
    field: str  # a text field holding a Fernet token made by apps.accounts.crypto

    @property
    def model(self):
        return apps.get_model(self.model_label)


@dataclass(frozen=True)
class ResyncStep:
    name: str
    label: str
    order: int
    func: Callable  # func(*, account) -> None


@dataclass(frozen=True)
class SnapshotKind:
    model_label: str
    date_field: str
    days: int | None  # None: settings.OPS_RETENTION_DAYS
    label: str
    # Extra filter on what may be pruned, e.g. {"status__in": ["done", "failed"]}.
    only: dict | None = None

    @property
    def model(self):
        return apps.get_model(self.model_label)


_encrypted: dict[tuple[str, str], EncryptedField] = {}
_resync: dict[str, ResyncStep] = {}
_snapshots: dict[str, SnapshotKind] = {}


def register_encrypted_field(model_label: str, field: str) -> EncryptedField:
    entry = EncryptedField(model_label, field)
    _encrypted[(model_label, field)] = entry
    return entry


def encrypted_fields() -> list[EncryptedField]:
    """Registered fields, plus every model field named `*_encrypted` (the project's convention
    for Fernet columns), so a secret added later is never left behind by a key rotation."""
    found = dict(_encrypted)
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if f.name.endswith("_encrypted"):
                label = model._meta.label
                found.setdefault((label, f.name), EncryptedField(label, f.name))
    return sorted(found.values(), key=lambda e: (e.model_label, e.field))


def register_resync(name: str, label: str, *, order: int = 100):
    def decorate(func: Callable) -> Callable:
        # The label stays lazy: translated when shown, in the reader's language.
        _resync[name] = ResyncStep(name=name, label=label, order=order, func=func)
        return func

    return decorate


def resync_steps() -> list[ResyncStep]:
    return sorted(_resync.values(), key=lambda s: (s.order, s.name))


def register_snapshot(
    model_label: str, date_field: str, *, label: str, days: int | None = None, only=None
) -> SnapshotKind:
    kind = SnapshotKind(model_label, date_field, days, label, only)
    _snapshots[model_label] = kind
    return kind


def snapshot_kinds() -> list[SnapshotKind]:
    return sorted(_snapshots.values(), key=lambda k: k.model_label)
