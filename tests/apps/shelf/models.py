"""Books with an author (a foreign key) and tags (a many-to-many field)."""

from __future__ import annotations

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "shelf"


class Tag(models.Model):
    name = models.CharField(max_length=30, unique=True)

    class Meta:
        app_label = "shelf"


class Book(models.Model):
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=[("draft", "Draft"), ("published", "Published")], default="draft"
    )
    pages = models.PositiveIntegerField(null=True, blank=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, blank=True, related_name="books")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "shelf"
