# Dataset files move from MEDIA_ROOT (served publicly under /media/) to the
# private storage ``STORAGES["opendata_private"]`` (var/private). Files already
# stored are moved; cached exports are deleted (they are rebuilt on request).

from django.db import migrations, models

import opendata.models.datasets

EXPORTS = "opendata/exports"


def _move(storage_from, storage_to, name: str) -> None:
    if not name or storage_from is storage_to or not storage_from.exists(name):
        return
    if not storage_to.exists(name):
        with storage_from.open(name, "rb") as handle:
            saved = storage_to.save(name, handle)
        if saved != name:  # never happens on an empty target; keep the original to be safe
            storage_to.delete(saved)
            return
    storage_from.delete(name)


def _delete_tree(storage, path: str) -> None:
    try:
        directories, files = storage.listdir(path)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    for name in files:
        storage.delete(f"{path}/{name}")
    for directory in directories:
        _delete_tree(storage, f"{path}/{directory}")


def move_files(apps, schema_editor):
    from django.core.files.storage import default_storage

    target = opendata.models.datasets.file_storage()
    if target is default_storage:
        return
    ResourceVersion = apps.get_model("opendata", "ResourceVersion")
    for source_name, table_name in ResourceVersion.objects.values_list("source_file", "table_file").iterator():
        _move(default_storage, target, source_name)
        _move(default_storage, target, table_name)
    _delete_tree(default_storage, EXPORTS)


def move_back(apps, schema_editor):
    from django.core.files.storage import default_storage

    source = opendata.models.datasets.file_storage()
    if source is default_storage:
        return
    ResourceVersion = apps.get_model("opendata", "ResourceVersion")
    for source_name, table_name in ResourceVersion.objects.values_list("source_file", "table_file").iterator():
        _move(source, default_storage, source_name)
        _move(source, default_storage, table_name)


class Migration(migrations.Migration):
    dependencies = [
        ("opendata", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resourceversion",
            name="source_file",
            field=models.FileField(
                max_length=300,
                storage=opendata.models.datasets.file_storage,
                upload_to=opendata.models.datasets._upload_to,
                verbose_name="archivo subido",
            ),
        ),
        migrations.AlterField(
            model_name="resourceversion",
            name="table_file",
            field=models.FileField(
                max_length=300,
                storage=opendata.models.datasets.file_storage,
                upload_to=opendata.models.datasets._upload_to,
                verbose_name="tabla normalizada",
            ),
        ),
        migrations.RunPython(move_files, move_back, elidable=True),
    ]
