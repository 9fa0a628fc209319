"""Model fields several apps declare the same way."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def user_key(verbose_name) -> models.ForeignKey:
    """The portal user who started or made something; kept when the user is deleted (null)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=verbose_name,
    )
