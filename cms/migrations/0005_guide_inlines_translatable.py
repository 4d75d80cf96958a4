"""A guide's aliases, requirements and steps become translatable (wagtail-localize translates them
with the page): each row gets a locale (its page's) and a translation key of its own."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("guidealias", "guiderequirement", "guidestep")


def fill_locale_and_key(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("cms", name)
        for row in model.objects.select_related("page").only("pk", "page__locale_id").iterator():
            model.objects.filter(pk=row.pk).update(translation_key=uuid.uuid4(), locale_id=row.page.locale_id)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0004_regulation_text_status"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        *(
            operation
            for name in MODELS
            for operation in (
                migrations.AddField(
                    model_name=name,
                    name="locale",
                    field=models.ForeignKey(
                        null=True,
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="wagtailcore.locale",
                        verbose_name="locale",
                    ),
                ),
                migrations.AddField(
                    model_name=name,
                    name="translation_key",
                    field=models.UUIDField(null=True, editable=False),
                ),
            )
        ),
        migrations.RunPython(fill_locale_and_key, migrations.RunPython.noop),
    ]
