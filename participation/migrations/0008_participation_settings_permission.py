"""The moderators (group "Moderadores", created by 0002) may change the participation settings
(Propiedades → Participación ciudadana: the verification level each action needs).

The permission is created here if post_migrate has not created it yet (a fresh database
runs every migration before post_migrate creates the permissions of new models).
"""

from django.db import migrations

MODERATORS = "Moderadores"
CODENAME = "change_participationsettings"


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _created = ContentType.objects.get_or_create(app_label="participation", model="participationsettings")
    permission, _created = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": "Can change participación ciudadana"}
    )
    group, _created = Group.objects.get_or_create(name=MODERATORS)
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permission = Permission.objects.filter(
        content_type__app_label="participation", content_type__model="participationsettings", codename=CODENAME
    ).first()
    group = Group.objects.filter(name=MODERATORS).first()
    if permission is not None and group is not None:
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0007_participation_settings"),
        ("participation", "0002_role_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
