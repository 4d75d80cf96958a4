"""Offices and guide categories become translatable (wagtail-localize): each existing row gets
the default locale and a translation key of its own (Wagtail's "Adding TranslatableMixin to an
existing model"); the constraints follow in 0009."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from wagtail.models import bootstrap_translatable_model

MODELS = ("office", "guidecategory")


def bootstrap(apps, schema_editor):
    Locale = apps.get_model("wagtailcore", "Locale")
    models_ = [apps.get_model("cms", name) for name in MODELS]
    if not any(model.objects.exists() for model in models_):
        return
    locale = (
        Locale.objects.filter(language_code=settings.LANGUAGE_CODE).first()
        or Locale.objects.order_by("pk").first()
        or Locale.objects.create(language_code=settings.LANGUAGE_CODE)
    )
    for model in models_:
        bootstrap_translatable_model(model, locale)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0007_spanish_moderation_workflow"),
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
        migrations.RunPython(bootstrap, migrations.RunPython.noop),
    ]
