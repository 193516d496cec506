"""No Django URLs: every endpoint is served by the framework under test."""

urlpatterns: list[object] = []
