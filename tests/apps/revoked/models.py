"""The revocation table, as docs/auth.md tells an application to declare it."""

from __future__ import annotations

from django.db import models


class RevokedToken(models.Model):
    jti = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField(db_index=True)
