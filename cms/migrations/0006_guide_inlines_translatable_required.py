import uuid

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("guidealias", "guiderequirement", "guidestep")


class Migration(migrations.Migration):
    dependencies = [("cms", "0005_guide_inlines_translatable")]

    operations = [
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
            migrations.AlterUniqueTogether(name=name, unique_together={("translation_key", "locale")}),
        )
    ]
