import pytest

from apps.accounts.tests.factories import member, platform_account
from apps.core.audit import audited, record
from apps.core.models import AuditEntry
from apps.umail.errors import PlatformRejected, PlatformUnavailable


@pytest.mark.django_db
def test_audited_records_success_refusal_and_failure():
    account = platform_account()
    user = member(account)
    with audited(account=account, user=user, action="contacts.list.create", target="VIP") as entry:
        entry.target = "list 12"
    with pytest.raises(PlatformRejected):
        with audited(account=account, user=user, action="contacts.list.create"):
            raise PlatformRejected("add_maillist_error", "名称重复")
    with pytest.raises(PlatformUnavailable):
        with audited(account=account, action="contacts.list.delete", customer_id="1002"):
            raise PlatformUnavailable("down")
    ok, refused, failed = AuditEntry.objects.order_by("id")
    assert (ok.outcome, ok.target, ok.user, ok.platform_status) == (
        "ok",
        "list 12",
        user,
        "success",
    )
    assert (refused.outcome, refused.platform_status, refused.message) == (
        "refused",
        "add_maillist_error",
        "名称重复",
    )
    assert (failed.outcome, failed.customer_id, failed.user) == ("failed", "1002", None)


@pytest.mark.django_db
def test_secrets_never_reach_the_audit_log():
    account = platform_account()
    entry = record(
        account=account, action="domains.mailbox.add", detail={"mailbox": "a@b.c", "pwd": "x1"}
    )
    entry.refresh_from_db()
    assert entry.detail == {"mailbox": "a@b.c", "pwd": "***"}
