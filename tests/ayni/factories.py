"""Factories for people: accounts, staff and superusers (registered as fixtures in tests/conftest.py)."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission


class UserFactory(factory.django.DjangoModelFactory):
    """An active account; ``groups=[...]`` (names or Group objects) and ``permissions=["app.codename"]`` add roles."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"persona{n}@ejemplo.bo")
    email = factory.LazyAttribute(lambda user: user.username)
    first_name = factory.Faker("first_name", locale="es_ES")
    last_name = factory.Faker("last_name", locale="es_ES")
    is_active = True
    password = factory.django.Password("clave-segura-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        self.groups.add(*(Group.objects.get_or_create(name=g)[0] if isinstance(g, str) else g for g in extracted))

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for dotted in extracted:
            app_label, codename = dotted.split(".", 1)
            self.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class StaffFactory(UserFactory):
    """Someone who may enter the Wagtail admin (staff flag and ``wagtailadmin.access_admin``)."""

    is_staff = True

    @factory.post_generation
    def admin_access(self, create, extracted, **kwargs):
        if create and extracted is not False:
            self.user_permissions.add(
                Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
            )


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True
