import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from apps.accounts.decorators import account_required, role_allows
from apps.accounts.models import Membership

from .factories import member, platform_account


def test_role_order():
    assert role_allows("owner", "sender") and role_allows("sender", "editor")
    assert not role_allows("viewer", "editor") and not role_allows("editor", "sender")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "needed", "status"),
    [
        ("viewer", "viewer", 200),
        ("viewer", "editor", 403),
        ("editor", "editor", 200),
        ("editor", "sender", 403),
        ("sender", "sender", 200),
        ("sender", "owner", 403),
        ("owner", "owner", 200),
    ],
)
def test_account_required_enforces_roles(role, needed, status):
    account = platform_account()
    user = member(account, role=role)

    @account_required(role=needed)
    def view(request):
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = user
    request.account = account
    request.session = {}
    assert view(request).status_code == status
    assert Membership.objects.get(user=user).role == role
