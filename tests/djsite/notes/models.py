"""One model for the admin's change list."""

from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.title
