from django.db import models


class Row(models.Model):
    name = models.CharField(max_length=64)
    email = models.CharField(max_length=128)
    score = models.IntegerField()

    class Meta:
        app_label = "benchdb"
