"""The demo municipality: each app loads its own part (``<app>/demo/``).

An app takes part by naming its loader on its ``AppConfig`` (``demo_loader``, a
dotted path to ``load_demo(*, report)``); ``manage.py load_demo`` runs them in
the order of ``INSTALLED_APPS``, so the core never imports an app (the layering
in docs/DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.utils.module_loading import import_string


def demo_loaders() -> list[tuple[str, Callable]]:
    """``(app label, loader)`` of every installed app with a demo, in INSTALLED_APPS order."""
    return [
        (config.label, import_string(config.demo_loader))
        for config in apps.get_app_configs()
        if getattr(config, "demo_loader", None)
    ]
