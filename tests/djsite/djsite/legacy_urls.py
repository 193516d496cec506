"""The URLconf ``api.mount_django("/legacy", urlconf=...)`` serves under its prefix."""

from django.urls import URLPattern, path
from notes import views

urlpatterns: list[URLPattern] = [
    path("where/", views.where, name="where"),
]
