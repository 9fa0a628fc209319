from django.apps import AppConfig


class UmailConfig(AppConfig):
    name = "apps.umail"
    label = "umail"
    verbose_name = "U-Mail platform client"
