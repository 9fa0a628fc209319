"""Downloads of a list's addresses and unsubscribes, streamed from the platform."""

from __future__ import annotations

from apps.accounts.clients import client_for_account

from ..models import Suppression
from .subscriptions import suppression_add_many

# -- exports --------------------------------------------------------------------------------------


def export_addresses(*, account, list_id: int):
    """(client, rows) for §4.6; the caller closes the client when the download ends."""
    client = client_for_account(account)
    try:
        rows = client.contacts.export_subscriptions(list_id)
    except BaseException:
        client.close()
        raise
    return client, rows


def export_unsubscribes(*, account, list_id: int):
    """(client, rows) for §4.7; each address seen is also added to the suppression list."""
    client = client_for_account(account)
    try:
        rows = client.contacts.export_unsubscribes(list_id)
    except BaseException:
        client.close()
        raise

    def learning(rows_in):
        pending = []
        for when, email in rows_in:
            pending.append(email)
            if len(pending) >= 5000:
                suppression_add_many(
                    account=account,
                    emails=pending,
                    reason=Suppression.Reason.UNSUBSCRIBE,
                    source="platform",
                    list_id=list_id,
                )
                pending = []
            yield when, email
        suppression_add_many(
            account=account,
            emails=pending,
            reason=Suppression.Reason.UNSUBSCRIBE,
            source="platform",
            list_id=list_id,
        )

    return client, learning(rows)
