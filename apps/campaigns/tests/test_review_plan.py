"""The review step and the A/B submit share one computation of variants, budget and split
(services.review_with_plan). A subject test has one variant per subject: with three subjects the
review once counted two and showed a wrong budget and split."""

from __future__ import annotations

import pytest

from apps.accounts.tests.factories import platform_account
from apps.campaigns import ratelimit
from apps.campaigns.services import ab_variant_count, review_with_plan
from apps.campaigns.tests.factories import campaign
from apps.contacts.tests.factories import mail_list
from apps.mailtemplates.tests.factories import mail_template

pytestmark = pytest.mark.django_db
PLAN = {"percent": 30, "metric": "opens", "mode": "auto", "wait_hours": "4"}


@pytest.fixture
def account():
    return platform_account()


def draft(account, *, kind, template_ids):
    maillist = mail_list(account, count=100)
    return campaign(
        account,
        template_ids=template_ids,
        list_id=maillist.platform_id,
        list_name=maillist.subject,
        ab_plan={**PLAN, "kind": kind},
    )


def test_a_subject_test_has_one_variant_per_subject(account):
    template = mail_template(account, subjects=["一", "二", "三"])
    subjects = draft(account, kind="subjects", template_ids=[template.platform_id])
    assert ab_variant_count(subjects) == 3
    checked, split = review_with_plan(account=account, campaign=subjects)
    assert split is not None and len(split.slices) == 3
    assert split.slices == [(1, 10), (11, 20), (21, 30)] and split.rest == (31, 0)


def test_a_template_test_has_one_variant_per_template(account):
    ids = [mail_template(account).platform_id for _ in range(4)]
    assert ab_variant_count(draft(account, kind="templates", template_ids=ids)) == 4


def test_the_budget_counts_one_call_per_variant(account):
    template = mail_template(account, subjects=["一", "二", "三"])
    subjects = draft(account, kind="subjects", template_ids=[template.platform_id])
    budget = ratelimit.budget(account=account)
    # Exactly two calls left: three variants need three, so the review refuses.
    for _ in range(budget.remaining - 2):
        ratelimit.reserve(account=account)
    checked, _split = review_with_plan(account=account, campaign=subjects)
    needed = ratelimit.AddTaskLimitReached(ratelimit.budget(account=account), needed=3)
    assert str(needed) in checked.problems, checked.problems


def test_without_a_plan_there_is_no_split(account):
    template = mail_template(account)
    plain = draft(account, kind="templates", template_ids=[template.platform_id])
    plain.ab_plan = None
    assert ab_variant_count(plain) == 1
    assert review_with_plan(account=account, campaign=plain)[1] is None
