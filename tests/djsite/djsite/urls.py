"""The project's own Django URLs: the admin and plain views, served by Django's handler for
every request no Bolt route answers."""

from django.contrib import admin
from django.contrib.staticfiles.views import serve
from django.urls import URLPattern, URLResolver, include, path, re_path
from notes import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("hello/", views.hello, name="hello"),
    path("meta/", views.meta, name="meta"),
    path("stream/", views.stream, name="stream"),
    path("file/", views.file, name="file"),
    path("echo/", views.echo, name="echo"),
    path("slow/", views.slow, name="slow"),
    path("slow/started/", views.slow_started),
    path("slow/release/", views.slow_release),
    path("async/", views.async_view, name="async"),
    path("named/<str:name>/", views.named, name="named"),
    # the admin's CSS and JS through Django's own static view (runserver's way; DEBUG is off
    # here, hence insecure=True), until the engine serves static files itself (issue 13.2)
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
    path("links/", views.links),
    # Bolt's route names for reverse() and {% url %} (reverse-only entries)
    path("", include("bolt_django.urls")),
]
