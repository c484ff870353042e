from django.apps import AppConfig


class BrandguardConfig(AppConfig):
    name = "brandguard"
    verbose_name = "Brand guard"
