"""Offices and guide categories: locale and translation key required; names (and a category's
slug) unique per locale, since a category's translation keeps the original's slug."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("office", "guidecategory")


class Migration(migrations.Migration):
    dependencies = [("cms", "0008_snippets_translatable")]

    operations = [
        *(
            operation
            for name in MODELS
            for operation in (
                migrations.AlterField(
                    model_name=name,
                    name="locale",
                    field=models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="wagtailcore.locale",
                        verbose_name="locale",
                    ),
                ),
                migrations.AlterField(
                    model_name=name,
                    name="translation_key",
                    field=models.UUIDField(default=uuid.uuid4, editable=False),
                ),
            )
        ),
        migrations.AlterField(
            model_name="office", name="name", field=models.CharField(max_length=200, verbose_name="nombre")
        ),
        migrations.AlterField(
            model_name="guidecategory", name="name", field=models.CharField(max_length=100, verbose_name="nombre")
        ),
        migrations.AlterField(
            model_name="guidecategory", name="slug", field=models.SlugField(max_length=100, verbose_name="slug")
        ),
        migrations.AlterUniqueTogether(
            name="office", unique_together={("translation_key", "locale"), ("name", "locale")}
        ),
        migrations.AlterUniqueTogether(
            name="guidecategory",
            unique_together={("translation_key", "locale"), ("name", "locale"), ("slug", "locale")},
        ),
    ]
