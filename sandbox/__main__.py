"""Command line: ``python -m sandbox serve|seed``.

    python -m sandbox serve --host 127.0.0.1 --port 8025 --state var/sandbox.sqlite3 [--seed]
    python -m sandbox seed --state var/sandbox.sqlite3

``serve`` prints ``sandbox listening on http://HOST:PORT`` once the socket is bound
(``--port 0`` picks a free port and prints it) and stops cleanly on SIGTERM or Ctrl-C.
It also serves §10 SMTP (``--smtp-port``, default 2525, 0 = a free port; ``-1`` = off) and
prints ``sandbox smtp listening on HOST:PORT`` (and ``sandbox smtps listening on HOST:PORT``
with ``--smtps-port``, implicit TLS).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from sandbox.app import create_app
from sandbox.redact import redact_url

DEFAULT_STATE = "var/sandbox.sqlite3"


class RedactingRequestHandler(WSGIRequestHandler):
    """The access log prints request URLs; legacy-mode URLs carry the md5 password."""

    def log(self, type: str, message: str, *args: Any) -> None:
        line = message % args if args else message
        super().log(type, "%s", redact_url(line))


def cmd_serve(args: argparse.Namespace) -> int:
    from sandbox import delivery

    if args.speed is not None:
        delivery.set_default_speed(args.speed)
    app = create_app(args.state, seed_data=args.seed, profile_name=args.profile, quirks=args.quirks)
    # Send tasks start (and charge the quota) on time even when nobody asks about them.
    delivery.start_engine(app.store, app.clock)
    try:
        server = make_server(
            args.host, args.port, app, threaded=True, request_handler=RedactingRequestHandler
        )
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: Any) -> None:
        # shutdown() waits for serve_forever() to return, so it must run off the main thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    smtp = None
    if args.smtp_port >= 0:
        from sandbox.smtp_server import SmtpService

        smtp = SmtpService(
            app.store, app.clock, host=args.host, port=args.smtp_port, smtps_port=args.smtps_port
        )
        try:
            smtp.start()
        except OSError as exc:
            server.server_close()
            print(
                f"sandbox: cannot listen for SMTP on {args.host}:{args.smtp_port}: {exc}",
                file=sys.stderr,
            )
            return 1

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"sandbox listening on http://{host}:{server.server_port}", flush=True)
    if smtp is not None:
        print(f"sandbox smtp listening on {host}:{smtp.port}", flush=True)
        if smtp.smtps_port is not None:
            print(f"sandbox smtps listening on {host}:{smtp.smtps_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        if smtp is not None:
            smtp.stop()
        server.server_close()
        app.store.close()
    print("sandbox stopped", file=sys.stderr, flush=True)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    app = create_app(args.state, seed_data=True)
    count = len(app.store.list_accounts())
    app.store.close()
    print(f"seeded {args.state} ({count} accounts)", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the sandbox HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8025, help="0 picks a free port")
    serve.add_argument("--state", default=DEFAULT_STATE, help="SQLite state file")
    serve.add_argument("--seed", action="store_true", help="insert the demo data first")
    serve.add_argument(
        "--smtp-port", type=int, default=2525, help="§10 SMTP port; 0 picks a free port, -1 off"
    )
    serve.add_argument(
        "--smtps-port", type=int, default=None, help="implicit-TLS SMTP port (0: a free port)"
    )
    serve.add_argument(
        "--profile",
        choices=("strict", "permissive"),
        default=os.environ.get("SANDBOX_PROFILE", "strict"),
        help="strict (default): refuse what the manual forbids; permissive: the older latitude",
    )
    serve.add_argument(
        "--quirks",
        action="store_true",
        default=os.environ.get("SANDBOX_QUIRKS", "") == "1",
        help="serve replies as the manual prints them (text/html, a leading newline, unpadded "
        "dates, descrīption, the manual's malformed closing tags)",
    )
    serve.add_argument(
        "--speed",
        type=float,
        default=None,
        help="delivery simulation: simulated seconds per real second (default 60, or "
        "SANDBOX_DELIVERY_SPEED)",
    )
    serve.set_defaults(func=cmd_serve)

    seed = sub.add_parser("seed", help="insert the demo data into a state file and exit")
    seed.add_argument("--state", default=DEFAULT_STATE, help="SQLite state file")
    seed.set_defaults(func=cmd_seed)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
