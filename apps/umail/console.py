"""§8 The platform's console login (sendstat), used to sign marketers in to the portal.

The endpoint answers with a redirect: to `errurl` when the credentials are wrong, to the console
otherwise. We post server-side without following redirects and decide from the Location header.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from django.views.decorators.debug import sensitive_variables

from .errors import PlatformUnavailable
from .transport import Transport

LOGIN_PATH = "sendstat/?module=base&action=login"

#: The platform's user types for §8 and for the operations that take `user_type`.
USER_TYPES = {"": "ordinary user", "agents": "agent", "manager": "administrator"}


def _same_target(location: str, errurl: str, login_url: str) -> bool:
    target = urlsplit(urljoin(login_url, location))
    expected = urlsplit(errurl)
    return (target.netloc, target.path, target.query) == (
        expected.netloc,
        expected.path,
        expected.query,
    )


@sensitive_variables("password")
def console_login(
    transport: Transport, *, username: str, password: str, user_type: str, errurl: str
) -> bool:
    """True when the platform accepts the credentials for that user type, False when it refuses.

    Raises PlatformUnavailable (or PlatformTimeout) when the platform cannot give an answer.
    """
    login_url = urljoin(transport.platform_url, LOGIN_PATH)
    response = transport.send(
        "POST",
        login_url,
        data={"username": username, "password": password, "user_type": user_type, "errurl": errurl},
        allow_redirects=False,
    )
    if response.status_code >= 500:
        raise PlatformUnavailable(f"The platform's login answered HTTP {response.status_code}.")
    if response.is_redirect:
        return not _same_target(response.headers.get("Location", ""), errurl, login_url)
    # No redirect: the platform rendered its own page instead of letting the user in.
    return False
