"""§10 the sandbox's SMTP service: real sockets, real smtplib, the state store and control pages."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import smtplib
import socket
import ssl
import subprocess
import sys
from email.message import EmailMessage

import pytest

from sandbox.ops.smtp import find_mailbox
from sandbox.smtp_server import MAX_RECIPIENTS, SmtpService

from .test_cli import ROOT, run_cli

LOGIN = "notice@demo-shop.cn"
PASSWORD = "Notice-pass-2026"


@pytest.fixture
def smtp_service(sandbox_app):
    service = SmtpService(sandbox_app.store, sandbox_app.clock, port=0, smtps_port=0)
    service.start()
    yield service
    service.stop()


@pytest.fixture
def smtp(smtp_service):
    conn = smtplib.SMTP("127.0.0.1", smtp_service.port, timeout=10)
    yield conn
    try:
        conn.quit()
    except smtplib.SMTPException:
        conn.close()


def received(sandbox_client) -> list[dict]:
    response = sandbox_client.get("/_sandbox/mail")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return response.get_json()["messages"]


def raw_message(sandbox_client, message_id: int) -> bytes:
    response = sandbox_client.get(f"/_sandbox/mail/{message_id}/raw")
    assert response.status_code == 200
    return response.get_data()


def chinese_message() -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "您的账单：2026 年 11 月"
    msg["From"] = f"深圳示例科技 <{LOGIN}>"
    msg["To"] = "张伟 <zhangwei@example.com>"
    msg.set_content("尊敬的客户，您本月的账单已生成。")
    msg.add_alternative("<h1>这是 smtp测试邮件</h1>", subtype="html")
    msg.add_attachment(
        bytes(range(256)), maintype="application", subtype="pdf", filename="账单-11月.pdf"
    )
    return msg


def test_ehlo_advertises_auth_and_starttls(smtp):
    code, reply = smtp.ehlo("client.example")
    assert code == 250
    assert smtp.has_extn("auth") and set(smtp.esmtp_features["auth"].split()) >= {
        "LOGIN",
        "PLAIN",
    }
    assert smtp.has_extn("starttls")
    assert smtp.has_extn("8bitmime") and smtp.has_extn("smtputf8")


def test_plain_login_and_a_chinese_message_with_attachment_arrive_intact(smtp, sandbox_client):
    smtp.login(LOGIN, PASSWORD)  # smtplib picks PLAIN first
    msg = chinese_message()
    sent_bytes = msg.as_bytes()
    refused = smtp.send_message(msg, from_addr=LOGIN, to_addrs=["zhangwei@example.com"])
    assert refused == {}

    [entry] = received(sandbox_client)
    assert entry["subject"] == "您的账单：2026 年 11 月"
    assert entry["mailbox"] == LOGIN and entry["account"] == "demo"
    assert entry["mail_from"] == LOGIN
    assert entry["rcpt_to"] == ["zhangwei@example.com"]
    assert entry["tls"] is False

    raw = raw_message(sandbox_client, entry["id"])
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "您的账单：2026 年 11 月"
    assert parsed.get_body(("plain",)).get_content().strip() == "尊敬的客户，您本月的账单已生成。"
    assert "这是 smtp测试邮件" in parsed.get_body(("html",)).get_content()
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "账单-11月.pdf"
    assert attachment.get_content() == bytes(range(256))
    # Stored byte for byte as sent (line endings are CRLF on the wire).
    assert raw.replace(b"\r\n", b"\n") == sent_bytes.replace(b"\r\n", b"\n")


def test_auth_login_after_plain_helo_as_the_php_sample_sends_it(smtp, sandbox_client):
    # §10's PHP client: HELO, "AUTH LOGIN <b64 user>", <b64 password>, MAIL, RCPT, DATA, QUIT.
    assert smtp.helo("php-client")[0] == 250
    code, challenge = smtp.docmd("AUTH LOGIN", base64.b64encode(LOGIN.encode()).decode())
    assert (code, base64.b64decode(challenge)) == (334, b"Password:")
    code, reply = smtp.docmd(base64.b64encode(PASSWORD.encode()).decode())
    assert code == 235, reply
    assert smtp.docmd("MAIL", f"FROM:<{LOGIN}>")[0] == 250
    assert smtp.docmd("RCPT", "TO:<784885758@qq.com>")[0] == 250
    code, reply = smtp.data(
        "Subject: =?utf-8?b?5rWL6K+VIHVtYWls6YKu5Lu257O757uf?=\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n<h1>hello</h1>\r\n"
    )
    assert code == 250 and reply.startswith(b"2.0.0 Ok: queued as ")
    [entry] = received(sandbox_client)
    assert entry["subject"] == "测试 umail邮件系统"
    assert entry["helo"] == "php-client"


def test_auth_login_with_challenges_after_ehlo(smtp):
    smtp.ehlo("client")
    code, challenge = smtp.docmd("AUTH LOGIN")
    assert (code, base64.b64decode(challenge)) == (334, b"Username:")
    code, challenge = smtp.docmd(base64.b64encode(LOGIN.encode()).decode())
    assert (code, base64.b64decode(challenge)) == (334, b"Password:")
    assert smtp.docmd(base64.b64encode(PASSWORD.encode()).decode())[0] == 235


def test_auth_plain_after_helo(smtp):
    smtp.helo("client")
    token = base64.b64encode(f"\0{LOGIN}\0{PASSWORD}".encode()).decode()
    assert smtp.docmd("AUTH PLAIN", token)[0] == 235


@pytest.mark.parametrize(
    ("login", "password"),
    [(LOGIN, "wrong-password"), ("nobody@demo-shop.cn", PASSWORD), (LOGIN.upper(), "x")],
)
def test_wrong_credentials_get_535(smtp, login, password):
    smtp.ehlo("client")
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        smtp.login(login, password)
    assert caught.value.smtp_code == 535


def test_mailbox_logins_ignore_case(smtp):
    smtp.ehlo("client")
    smtp.login(LOGIN.upper(), PASSWORD)


def test_mail_needs_a_login(smtp, sandbox_client):
    smtp.ehlo("client")
    code, reply = smtp.docmd("MAIL", f"FROM:<{LOGIN}>")
    assert code == 530 and b"Authentication required" in reply
    with pytest.raises(smtplib.SMTPSenderRefused):
        smtp.sendmail(LOGIN, ["a@example.com"], b"Subject: x\r\n\r\ny\r\n")
    assert received(sandbox_client) == []


def test_envelope_sender_must_be_the_logged_in_mailbox(smtp):
    smtp.ehlo("client")
    smtp.login(LOGIN, PASSWORD)
    with pytest.raises(smtplib.SMTPSenderRefused) as caught:
        smtp.sendmail("ceo@demo-shop.cn", ["a@example.com"], b"Subject: x\r\n\r\ny\r\n")
    assert caught.value.smtp_code == 553
    assert b"not owned by user notice@demo-shop.cn" in caught.value.smtp_error


def test_an_invalid_domain_recipient_is_rejected_and_others_still_get_the_message(
    smtp, sandbox_client
):
    smtp.ehlo("client")
    smtp.login(LOGIN, PASSWORD)
    refused = smtp.sendmail(
        LOGIN, ["ok@example.com", "gone@nowhere.invalid"], b"Subject: x\r\n\r\ny\r\n"
    )
    assert refused == {
        "gone@nowhere.invalid": (
            550,
            b"5.1.2 <gone@nowhere.invalid>: Recipient address rejected: Domain not found",
        )
    }
    [entry] = received(sandbox_client)
    assert entry["rcpt_to"] == ["ok@example.com"]


def test_every_recipient_rejected_stores_nothing(smtp, sandbox_client):
    smtp.ehlo("client")
    smtp.login(LOGIN, PASSWORD)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp.sendmail(LOGIN, ["a@x.invalid", "not-an-address"], b"Subject: x\r\n\r\ny\r\n")
    assert received(sandbox_client) == []


def test_too_many_recipients(smtp):
    smtp.ehlo("client")
    smtp.login(LOGIN, PASSWORD)
    smtp.mail(LOGIN)
    for i in range(MAX_RECIPIENTS):
        assert smtp.rcpt(f"r{i}@example.com")[0] == 250
    assert smtp.rcpt("one-more@example.com")[0] == 452


def test_a_disabled_service_refuses_mail(smtp, sandbox_app):
    sandbox_app.store.update_account("demo", {"service_status": "disabled"})
    smtp.ehlo("client")
    smtp.login(LOGIN, PASSWORD)
    code, reply = smtp.docmd("MAIL", f"FROM:<{LOGIN}>")
    assert code == 554 and b"disabled" in reply


def test_starttls_with_a_self_signed_certificate(smtp_service, sandbox_client):
    with smtplib.SMTP("127.0.0.1", smtp_service.port, timeout=10) as conn:
        conn.starttls(context=ssl._create_unverified_context())  # noqa: S323 - self-signed
        conn.ehlo("client")
        assert not conn.has_extn("starttls")
        conn.login(LOGIN, PASSWORD)
        conn.sendmail(LOGIN, ["a@example.com"], b"Subject: tls\r\n\r\nsecret\r\n")
    [entry] = received(sandbox_client)
    assert entry["tls"] is True
    # A verifying client refuses the certificate: the portal's "verify certificate" switch.
    with smtplib.SMTP("127.0.0.1", smtp_service.port, timeout=10) as conn:
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.starttls(context=ssl.create_default_context())


def test_implicit_tls_port(smtp_service, sandbox_client):
    context = ssl._create_unverified_context()  # noqa: S323 - self-signed
    with smtplib.SMTP_SSL("127.0.0.1", smtp_service.smtps_port, timeout=10, context=context) as c:
        c.login(LOGIN, PASSWORD)
        c.sendmail(LOGIN, ["a@example.com"], b"Subject: ssl\r\n\r\nx\r\n")
    [entry] = received(sandbox_client)
    assert entry["subject"] == "ssl" and entry["tls"] is True


# -- the control pages ---------------------------------------------------------------------------


def send(smtp, raw: bytes, to=("a@example.com",)) -> None:
    smtp.ehlo("client")
    smtp.login(LOGIN, PASSWORD)
    smtp.sendmail(LOGIN, list(to), raw)


def test_mail_page_for_browsers_escapes_and_sandboxes_html(smtp, sandbox_client):
    msg = EmailMessage()
    msg["Subject"] = "<script>alert(1)</script> 账单"
    msg.set_content("plain")
    msg.add_alternative('<p onclick="x()">Hi</p><script>alert(2)</script>', subtype="html")
    send(smtp, msg.as_bytes())

    page = sandbox_client.get("/_sandbox/mail", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page.get_data(as_text=True)
    assert "<h1>Received mail</h1>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 账单" in html
    assert "<script>" not in html
    assert "notice@demo-shop.cn (demo)" in html  # the seeded logins are listed

    [entry] = received(sandbox_client)
    detail = sandbox_client.get(f"/_sandbox/mail/{entry['id']}?format=html").get_data(as_text=True)
    assert '<iframe sandbox="" srcdoc="' in detail
    assert "<script>" not in detail and "&lt;script&gt;alert(2)" in detail

    data = sandbox_client.get(f"/_sandbox/mail/{entry['id']}").get_json()
    assert data["text"].strip() == "plain" and "alert(2)" in data["html"]


def test_mail_json_since_detail_404_and_clear(smtp, sandbox_client):
    send(smtp, b"Subject: one\r\n\r\n1\r\n")
    smtp.rset()
    smtp.sendmail(LOGIN, ["b@example.com"], b"Subject: two\r\n\r\n2\r\n")
    first, second = sorted(received(sandbox_client), key=lambda m: m["id"])
    assert [first["subject"], second["subject"]] == ["one", "two"]
    newer = sandbox_client.get(f"/_sandbox/mail?since={first['id']}").get_json()["messages"]
    assert [m["subject"] for m in newer] == ["two"]
    assert sandbox_client.get("/_sandbox/mail?since=x").status_code == 400
    assert sandbox_client.get("/_sandbox/mail/999999").status_code == 404
    assert sandbox_client.get("/_sandbox/mail/999999/raw").status_code == 404
    cleared = sandbox_client.post("/_sandbox/mail/clear").get_json()
    assert cleared == {"status": "ok", "deleted": 2}
    assert received(sandbox_client) == []


def test_reset_forgets_mail_and_keeps_the_seeded_mailboxes(smtp, sandbox_client, sandbox_app):
    send(smtp, b"Subject: before reset\r\n\r\nx\r\n")
    assert sandbox_client.post("/_sandbox/reset").status_code == 200
    assert received(sandbox_client) == []
    row = find_mailbox(sandbox_app.store, LOGIN)
    assert row["account_id"] == 1001 and row["password"] == PASSWORD
    assert find_mailbox(sandbox_app.store, "service@other-trade.cn")["account_id"] == 1004
    assert find_mailbox(sandbox_app.store, "nobody@demo-shop.cn") is None


def test_the_json_never_carries_passwords(smtp, sandbox_client):
    send(smtp, b"Subject: x\r\n\r\ny\r\n")
    body = json.dumps(received(sandbox_client))
    assert PASSWORD not in body


# -- the command line ------------------------------------------------------------------------


def test_serve_prints_the_smtp_port_and_accepts_mail(tmp_path):
    proc = run_cli(
        "serve",
        "--port",
        "0",
        "--smtp-port",
        "0",
        "--smtps-port",
        "0",
        "--state",
        str(tmp_path / "s.sqlite3"),
        "--seed",
    )
    try:
        lines = [proc.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith("sandbox listening on http://127.0.0.1:")
        assert lines[1].startswith("sandbox smtp listening on 127.0.0.1:")
        assert lines[2].startswith("sandbox smtps listening on 127.0.0.1:")
        port = int(lines[1].rsplit(":", 1)[1])
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as conn:
            conn.login(LOGIN, PASSWORD)
            assert conn.sendmail(LOGIN, ["a@example.com"], b"Subject: cli\r\n\r\nx\r\n") == {}
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert PASSWORD not in err


def test_serve_refuses_a_taken_smtp_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--smtp-port", str(port)]
            + ["--state", str(tmp_path / "s.sqlite3")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode == 1
    assert f"cannot listen for SMTP on 127.0.0.1:{port}" in proc.stderr


# -- §7 mailboxes are the SMTP logins ------------------------------------------------------------


def test_mailboxes_added_edited_and_deleted_over_section7_change_the_smtp_logins(
    smtp_service, sandbox_client
):
    pytest.importorskip("sandbox.ops.domains")
    auth = {"Authorization": "Basic " + base64.b64encode(b"demo:demo-pass").decode()}

    def bs(do: str, **query) -> None:
        # §7.8-§7.10 document GET parameters only.
        reply = sandbox_client.get(
            "/mm-ms/apinew/bs.php", query_string={"do": do, **query}, headers=auth
        )
        assert b"<status>success</status>" in reply.get_data(), reply.get_data(as_text=True)

    def login(address: str, password: str) -> int:
        with smtplib.SMTP("127.0.0.1", smtp_service.port, timeout=10) as conn:
            conn.ehlo("client")
            try:
                return conn.login(address, password)[0]
            except smtplib.SMTPAuthenticationError as exc:
                return exc.smtp_code

    assert login("bills@demo-shop.cn", "Bills-pass-2026") == 535
    bs("mailbox-add", mailbox="bills@demo-shop.cn", pwd="Bills-pass-2026")
    assert login("bills@demo-shop.cn", "Bills-pass-2026") == 235
    bs("mailbox-edit", mailbox="bills@demo-shop.cn", pwd="Bills-new-2026")
    assert login("bills@demo-shop.cn", "Bills-pass-2026") == 535
    assert login("bills@demo-shop.cn", "Bills-new-2026") == 235
    bs("mailbox-del", mailbox="bills@demo-shop.cn")
    assert login("bills@demo-shop.cn", "Bills-new-2026") == 535


def test_a_helo_only_server_on_demand(smtp, sandbox_client):
    reply = sandbox_client.post("/_sandbox/smtp/settings", json={"ehlo": False})
    assert reply.get_json() == {"ehlo": False}
    assert smtp.ehlo("client")[0] == 502
    assert smtp.helo("client")[0] == 250
    token = base64.b64encode(f"\0{LOGIN}\0{PASSWORD}".encode()).decode()
    assert smtp.docmd("AUTH PLAIN", token)[0] == 235
    assert sandbox_client.post("/_sandbox/reset").status_code == 200
    assert sandbox_client.get("/_sandbox/smtp/settings").get_json() == {"ehlo": True}


@pytest.mark.parametrize(
    "body", [{"ehlo": "no"}, {"nope": True}, [], {}], ids=["type", "unknown", "list", "empty"]
)
def test_smtp_settings_refuse_bad_input(sandbox_client, body):
    reply = sandbox_client.post("/_sandbox/smtp/settings", json=body)
    assert reply.status_code == 400 and "error" in reply.get_json()
    assert sandbox_client.get("/_sandbox/smtp/settings").get_json() == {"ehlo": True}
