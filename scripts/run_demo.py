"""`make run`: migrate, seed and start the sandbox, the portal, a Celery worker and Celery beat.

Settings for the demo are generated once into var/demo.env (a fresh secret key and credential
encryption key) and passed to every process. Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DEMO_ENV = VAR / "demo.env"
PY = sys.executable
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8025"))
SANDBOX_SMTP_PORT = int(os.environ.get("SANDBOX_SMTP_PORT", "2525"))
PORTAL_PORT = int(os.environ.get("PORTAL_PORT", "8000"))


def demo_env() -> dict[str, str]:
    VAR.mkdir(exist_ok=True)
    if not DEMO_ENV.exists():
        import secrets

        from cryptography.fernet import Fernet

        DEMO_ENV.write_text(
            f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"EDMPORTAL_CREDENTIALS_KEYS={Fernet.generate_key().decode()}\n"
        )
        DEMO_ENV.chmod(0o600)
    env = dict(os.environ)
    for line in DEMO_ENV.read_text().splitlines():
        key, _, value = line.partition("=")
        env.setdefault(key, value)
    env.setdefault("DJANGO_SETTINGS_MODULE", "edmportal.settings.dev")
    env.setdefault("UMAIL_PLATFORM_URL", f"http://127.0.0.1:{SANDBOX_PORT}/")
    # The SMTP settings form proposes the sandbox's §10 relay.
    env.setdefault("UMAIL_SMTP_HOST", "127.0.0.1")
    env.setdefault("UMAIL_SMTP_PORT", str(SANDBOX_SMTP_PORT))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {seconds:.0f} s")


def main() -> None:
    env = demo_env()
    run = lambda *args: subprocess.run([PY, *args], cwd=ROOT, env=env, check=True)  # noqa: E731
    run("manage.py", "migrate", "--noinput", "-v", "0")
    run("-m", "sandbox", "seed", "--state", str(VAR / "sandbox.sqlite3"))

    commands = {
        "sandbox": [
            PY,
            "-m",
            "sandbox",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(SANDBOX_PORT),
            "--state",
            str(VAR / "sandbox.sqlite3"),
            "--smtp-port",
            str(SANDBOX_SMTP_PORT),
        ],
        "worker": [
            PY,
            "-m",
            "celery",
            "-A",
            "edmportal",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
        ],
        "beat": [PY, "-m", "celery", "-A", "edmportal", "beat", "-l", "info"],
        "portal": [PY, "manage.py", "runserver", f"127.0.0.1:{PORTAL_PORT}", "--noreload"],
    }
    procs: dict[str, subprocess.Popen] = {}

    def stop(*_):
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name, cmd in commands.items():
        procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env)
        if name == "sandbox":
            wait_for(f"http://127.0.0.1:{SANDBOX_PORT}/_sandbox/health")
    wait_for(f"http://127.0.0.1:{PORTAL_PORT}/login/")
    print(
        "\n"
        f"  edmportal is running at http://127.0.0.1:{PORTAL_PORT}/\n"
        f"  sandbox platform at    http://127.0.0.1:{SANDBOX_PORT}/\n"
        f"  sandbox SMTP (§10) at  127.0.0.1:{SANDBOX_SMTP_PORT}, login notice@demo-shop.cn /"
        " Notice-pass-2026;\n"
        f"    mail it received:    http://127.0.0.1:{SANDBOX_PORT}/_sandbox/mail\n\n"
        "  Demo sign-ins (username / password / user type):\n"
        "    demo    / demo-pass    / Ordinary user\n"
        "    agent   / agent-pass   / Agent\n"
        "    manager / manager-pass / Administrator\n\n"
        "  Ctrl-C stops everything.\n",
        flush=True,
    )
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the demo.", flush=True)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
