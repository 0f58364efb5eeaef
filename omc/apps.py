from django.apps import AppConfig


class OmcConfig(AppConfig):
    """The project package as an app: connects the audit log's signal receivers."""

    name = "omc"
    verbose_name = "OMC"

    def ready(self):
        from . import audit

        audit.connect()
