"""Downloads of a list's addresses and unsubscribes, streamed from the platform."""

from __future__ import annotations

from apps.accounts.clients import client_for_account

from ..models import Suppression
from .subscriptions import suppression_add_many

# -- exports --------------------------------------------------------------------------------------


def _opened(account, read):
    """(client, read(client)): the client stays open for the download; closed on failure."""
    client = client_for_account(account)
    try:
        return client, read(client)
    except BaseException:
        client.close()
        raise


def export_addresses(*, account, list_id: int):
    """(client, rows) for §4.6; the caller closes the client when the download ends."""
    return _opened(account, lambda client: client.contacts.export_subscriptions(list_id))


def export_unsubscribes(*, account, list_id: int):
    """(client, rows) for §4.7; each address seen is also added to the suppression list."""
    client, rows = _opened(account, lambda client: client.contacts.export_unsubscribes(list_id))

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
