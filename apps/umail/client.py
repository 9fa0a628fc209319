"""The client object the rest of the portal uses: one transport, one attribute per resource."""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

from .account import AccountAPI
from .console import console_login
from .contacts import ContactsAPI
from .domains import DomainsAPI
from .send_tasks import TasksAPI
from .stats import StatsAPI
from .templates import TemplatesAPI
from .tracking import TrackingAPI
from .transport import Transport, TransportConfig


class UmailClient:
    def __init__(self, transport: Transport):
        self.transport = transport
        self.account = AccountAPI(transport)
        self.contacts = ContactsAPI(transport)
        self.templates = TemplatesAPI(transport)
        self.tasks = TasksAPI(transport)
        self.stats = StatsAPI(transport)
        self.tracking = TrackingAPI(transport)
        self.domains = DomainsAPI(transport)

    @classmethod
    @sensitive_variables("password")
    def connect(
        cls,
        *,
        platform_url: str,
        username: str,
        password: str,
        api_mode: str = "apinew",
        config: TransportConfig | None = None,
    ) -> UmailClient:
        return cls(
            Transport(
                platform_url=platform_url,
                username=username,
                password=password,
                api_mode=api_mode,
                config=config or TransportConfig.from_settings(),
            )
        )

    def console_login(self, *, user_type: str, errurl: str) -> bool:
        """§8 with this client's credentials."""
        return console_login(
            self.transport,
            username=self.transport.username,
            password=self.transport._password,
            user_type=user_type,
            errurl=errurl,
        )

    def close(self) -> None:
        self.transport.session.close()

    def __enter__(self) -> UmailClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
