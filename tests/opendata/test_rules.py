"""opendata/rules.py role by role: who manages datasets and who sees a draft."""

import pytest
from django.contrib.auth.models import AnonymousUser

from opendata.rules import can_manage_datasets, can_view_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(verified_citizen_factory, staff_factory, superuser_factory):
    makers = {
        "anonymous": AnonymousUser,
        "citizen": verified_citizen_factory,
        "staff_without_permission": staff_factory,
        "dataset_editor": lambda: staff_factory(permissions=["opendata.change_dataset"]),
        "inactive_editor": lambda: staff_factory(permissions=["opendata.change_dataset"], is_active=False),
        "superuser": superuser_factory,
    }
    return lambda role: makers[role]()


@pytest.mark.parametrize(
    ("role", "manages"),
    [
        ("anonymous", False),
        ("citizen", False),
        ("staff_without_permission", False),
        ("dataset_editor", True),
        ("inactive_editor", False),
        ("superuser", True),
    ],
)
def test_managing_and_viewing_datasets_by_role(person, dataset_factory, role, manages):
    user = person(role)
    assert can_manage_datasets(user) is manages
    assert can_view_dataset(user, dataset_factory(publish=True)) is True
    assert can_view_dataset(user, dataset_factory(publish=False)) is manages
