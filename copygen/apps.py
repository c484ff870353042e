from django.apps import AppConfig


class CopygenConfig(AppConfig):
    name = "copygen"
    verbose_name = "Copy generation"
