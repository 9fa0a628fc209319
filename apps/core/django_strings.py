"""Strings of Django's own templates that Django's Chinese catalogue does not translate yet.

Marked here so that `make messages` keeps them in the portal's catalogue (LOCALE_PATHS come
before Django's own), and the admin is fully Chinese too. Never imported: xgettext reads it.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN = [
    # django/contrib/admin/templates/admin/app_list.html (visually hidden table headers)
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
]
