from django.apps import AppConfig


class BenchDbConfig(AppConfig):
    name = "benchmarks.apps.benchdb"
    label = "benchdb"
    default_auto_field = "django.db.models.BigAutoField"
