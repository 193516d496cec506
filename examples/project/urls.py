"""Django URLs. Bolt routes live in ``catalog/api.py`` and are served by ``runbolt``."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
