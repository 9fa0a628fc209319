"""Operations commands: staff users, key rotation, resync, pruning, healthcheck."""

import io

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.accounts.models import AccountService, PlatformAccount
from apps.accounts.tests.factories import platform_account
from apps.core import registry
from apps.ops.models import FailedTask, ResyncJob

STRONG = "Correct-Horse-Battery-9"


def run(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


# -- create_staff_user ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_staff_user_from_the_environment_then_sign_in_to_admin(client, monkeypatch):
    monkeypatch.setenv("EDMPORTAL_STAFF_PASSWORD", STRONG)
    out = run("create_staff_user", "--username", "ops", "--email", "ops@example.com")
    assert "Created staff user 'ops'" in out
    user = get_user_model().objects.get(username="ops")
    assert user.is_staff and not user.is_superuser and user.email == "ops@example.com"
    assert client.login(username="ops", password=STRONG)


@pytest.mark.django_db
def test_create_superuser_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(STRONG + "\n"))
    run("create_staff_user", "--username", "root2", "--superuser", "--password-stdin")
    user = get_user_model().objects.get(username="root2")
    assert user.is_superuser and user.check_password(STRONG)


@pytest.mark.django_db
def test_create_staff_user_refuses_missing_weak_or_duplicate(monkeypatch):
    monkeypatch.delenv("EDMPORTAL_STAFF_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="set EDMPORTAL_STAFF_PASSWORD"):
        run("create_staff_user", "--username", "ops")
    monkeypatch.setenv("EDMPORTAL_STAFF_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="refused"):
        run("create_staff_user", "--username", "ops")
    assert not get_user_model().objects.filter(username="ops").exists()

    monkeypatch.setenv("EDMPORTAL_STAFF_PASSWORD", STRONG)
    run("create_staff_user", "--username", "ops")
    with pytest.raises(CommandError, match="exists already"):
        run("create_staff_user", "--username", "ops")
    monkeypatch.setenv("EDMPORTAL_STAFF_PASSWORD", STRONG + "-new")
    assert "Updated" in run("create_staff_user", "--username", "ops", "--update")
    assert get_user_model().objects.get(username="ops").check_password(STRONG + "-new")


# -- rotate_credentials_key ----------------------------------------------------------------------


@pytest.mark.django_db
def test_rotation_re_encrypts_every_password_with_the_new_key(settings):
    old_key = settings.CREDENTIALS_KEYS[0]
    first = platform_account(password="pw-one")
    second = platform_account(password="pw-two")
    empty = platform_account()
    PlatformAccount.objects.filter(pk=empty.pk).update(password_encrypted="")
    updated_at = PlatformAccount.objects.get(pk=first.pk).updated_at

    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [new_key, old_key]
    out = run("rotate_credentials_key")
    assert "accounts.PlatformAccount.password_encrypted: 3 rows, re-encrypted 2, 1 empty" in out

    settings.CREDENTIALS_KEYS = [new_key]  # the old key is gone: everything still decrypts
    assert PlatformAccount.objects.get(pk=first.pk).get_password() == "pw-one"
    assert PlatformAccount.objects.get(pk=second.pk).get_password() == "pw-two"
    assert PlatformAccount.objects.get(pk=first.pk).updated_at == updated_at


@pytest.mark.django_db
def test_rotation_dry_run_changes_nothing(settings):
    account = platform_account(password="pw")
    before = account.password_encrypted
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode(), *settings.CREDENTIALS_KEYS]
    out = run("rotate_credentials_key", "--dry-run")
    assert "would re-encrypt 1" in out
    assert PlatformAccount.objects.get(pk=account.pk).password_encrypted == before


@pytest.mark.django_db
def test_rotation_reports_values_no_key_decrypts_and_keeps_them(settings):
    good = platform_account(password="pw")
    lost = platform_account(password="x")
    foreign = Fernet(Fernet.generate_key()).encrypt(b"secret").decode()
    PlatformAccount.objects.filter(pk=lost.pk).update(password_encrypted=foreign)
    with pytest.raises(CommandError, match=rf"ids \[{lost.pk}\]"):
        run("rotate_credentials_key")
    assert PlatformAccount.objects.get(pk=lost.pk).password_encrypted == foreign
    assert PlatformAccount.objects.get(pk=good.pk).get_password() == "pw"


def test_every_encrypted_column_is_rotated():
    from django.apps import apps

    labels = {(e.model_label, e.field) for e in registry.encrypted_fields()}
    assert ("accounts.PlatformAccount", "password_encrypted") in labels
    for model in apps.get_models():  # e.g. the SMTP settings' password, whoever adds it
        for field in model._meta.concrete_fields:
            if field.name.endswith("_encrypted"):
                assert (model._meta.label, field.name) in labels


# -- resync_account ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_resync_account_from_scratch_in_process(fresh_sandbox, settings):
    settings.OPS_RESYNC_PAUSE_SECONDS = 0
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url, company="stale"
    )
    fresh_sandbox.patch_account("demo", qty_available=777, company="新公司")
    out = run("resync_account", "demo")
    assert "Resynced demo" in out
    account.refresh_from_db()
    assert account.company == "新公司"
    assert AccountService.objects.get(account=account).qty_available == 777
    job = ResyncJob.objects.get(account=account)
    assert job.status == "done"
    # Every registered step ran, in order (other apps register theirs after the accounts').
    steps = [step.name for step in registry.resync_steps()]
    assert steps[:2] == ["accounts.customer", "accounts.service"]
    assert job.steps_done == steps
    assert job.attempts == 1


@pytest.mark.django_db
def test_resync_account_errors_are_clear(sandbox, settings):
    settings.OPS_RESYNC_PAUSE_SECONDS = 0
    with pytest.raises(CommandError, match="No platform account matches 'nobody'"):
        run("resync_account", "nobody")
    platform_account(username="demo", password="wrong", platform_url=sandbox.url)
    with pytest.raises(CommandError, match="accounts.customer failed: The platform no longer"):
        run("resync_account", "demo")
    job = ResyncJob.objects.get()
    assert job.status == "failed" and "no longer accepts" in job.error


@pytest.mark.django_db
def test_resync_account_background_queues_and_refuses_a_second(
    django_capture_on_commit_callbacks,
):
    account = platform_account(username="demo")
    with django_capture_on_commit_callbacks() as callbacks:
        out = run("resync_account", str(account.pk), "--background")
    assert "Queued resync job" in out
    assert len(callbacks) == 1  # sent to the broker after the commit
    with pytest.raises(CommandError, match="already queued"):
        run("resync_account", "demo", "--background")


# -- prune_snapshots -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_prune_deletes_only_old_finished_records(settings):
    settings.OPS_RETENTION_DAYS = 30
    account = platform_account()
    long_ago = timezone.now() - timezone.timedelta(days=40)
    old_done = ResyncJob.objects.create(account=account, status="done", created_at=long_ago)
    old_running = ResyncJob.objects.create(account=account, status="running", created_at=long_ago)
    recent = ResyncJob.objects.create(account=account, status="done")
    old_resolved = FailedTask.objects.create(
        task_id="a", task_name="t", exception_type="E", failed_at=long_ago, resolved=True
    )
    old_open = FailedTask.objects.create(
        task_id="b", task_name="t", exception_type="E", failed_at=long_ago
    )

    out = run("prune_snapshots", "--dry-run")
    assert "would delete 1" in out and ResyncJob.objects.count() == 3

    out = run("prune_snapshots")
    assert "Deleted 2." in out
    assert set(ResyncJob.objects.values_list("pk", flat=True)) == {old_running.pk, recent.pk}
    assert list(FailedTask.objects.values_list("pk", flat=True)) == [old_open.pk]
    assert not ResyncJob.objects.filter(pk=old_done.pk).exists()
    assert not FailedTask.objects.filter(pk=old_resolved.pk).exists()

    with pytest.raises(CommandError, match="at least 1"):
        run("prune_snapshots", "--days", "0")


# -- healthcheck ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthcheck_command_exit_status():
    out = run("healthcheck", "--only", "database", "--only", "broker")
    assert '"status": "ok"' in out
    with pytest.raises(CommandError, match="degraded"):
        run("healthcheck", "--only", "scheduler")  # no heartbeat yet


def test_resync_steps_are_ordered_and_include_accounts():
    names = [s.name for s in registry.resync_steps()]
    assert names[:2] == ["accounts.customer", "accounts.service"]
