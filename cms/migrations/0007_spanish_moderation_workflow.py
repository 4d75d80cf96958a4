"""Wagtail's default moderation workflow and its task get a Spanish name (issue 13, item 9).

Wagtail creates them as "Moderators approval" (from its group's name), which
the editor's menu shows as "Enviar a Moderators approval". Renamed only while
they still have Wagtail's name (staff may have renamed them).
"""

from django.db import migrations

WAGTAIL_NAME = "Moderators approval"
SPANISH_NAME = "Aprobación de moderación"


def rename(apps, old: str, new: str) -> None:
    for model in ("Workflow", "Task"):
        apps.get_model("wagtailcore", model).objects.filter(name=old).update(name=new)


def forwards(apps, schema_editor):
    rename(apps, WAGTAIL_NAME, SPANISH_NAME)


def backwards(apps, schema_editor):
    rename(apps, SPANISH_NAME, WAGTAIL_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0006_guide_inlines_translatable_required"),
        ("wagtailcore", "0048_add_default_workflows"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
