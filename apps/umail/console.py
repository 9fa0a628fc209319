"""§8 The platform's console login (sendstat), used to sign marketers in to the portal.

What the manual documents (§8.1): wrong credentials redirect to `errurl`. What it does not: the
reply on success. **The portal's guess, here and nowhere else**: anything but a redirect to
`errurl` (a redirect elsewhere, a page) means "not refused", and the caller confirms the
credentials with §1.1 before anyone is signed in; the redirect's target is never trusted as
the proof of success. See docs/PLATFORM.md, "§8 sign-in".
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from django.views.decorators.debug import sensitive_variables

from . import xml
from .errors import AuthenticationFailed, MalformedReply, PlatformRejected, PlatformUnavailable
from .transport import Transport, error_from_reply

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
    """False when the platform refuses the credentials for that user type (it redirected to
    `errurl`); True otherwise: *not refused*, which the caller must confirm with §1.1.

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
    if response.status_code >= 400:
        raise PlatformUnavailable(f"The platform's login answered HTTP {response.status_code}.")
    # No redirect: the success reply is undocumented; only errurl means "refused" (§1.1 decides).
    # The platform's own error shape (e.g. its rate limit) is still an error, not a yes.
    head = response.content[:4096].lstrip()
    if head.startswith((b"<?xml", b"<result")):
        try:
            root = xml.parse(response.content)
        except MalformedReply:
            return True
        error = error_from_reply(response, root)
        if isinstance(error, AuthenticationFailed):
            return False
        if error is not None and not isinstance(error, PlatformRejected):
            raise error
    return True
