"""search/rules.py role by role: the search reports are read and cleared by staff, never written by hand."""

import pytest

from search.models import ZeroResultQuery
from search.rules import ReportPermissionPolicy

pytestmark = pytest.mark.django_db

APP = ZeroResultQuery._meta.app_label  # "portal_search"
EVERY_PERMISSION = [f"{APP}.{action}_zeroresultquery" for action in ("add", "change", "delete", "view")]


@pytest.fixture
def policy():
    return ReportPermissionPolicy(ZeroResultQuery)


@pytest.fixture
def person(verified_citizen_factory, staff_factory, superuser_factory):
    makers = {
        "citizen": verified_citizen_factory,
        "staff_without_permission": staff_factory,
        "reader": lambda: staff_factory(permissions=[f"{APP}.view_zeroresultquery"]),
        "every_permission": lambda: staff_factory(permissions=EVERY_PERMISSION),
        "superuser": superuser_factory,
    }
    return lambda role: makers[role]()


@pytest.mark.parametrize(
    ("role", "view", "delete"),
    [
        ("citizen", False, False),
        ("staff_without_permission", False, False),
        ("reader", True, False),
        ("every_permission", True, True),
        ("superuser", True, True),
    ],
)
def test_reports_by_role(policy, person, role, view, delete):
    user = person(role)
    assert policy.user_has_permission(user, "view") is view
    assert policy.user_has_permission(user, "delete") is delete
    # Nobody adds or changes a report, not even with the permissions or as superuser.
    assert policy.user_has_permission(user, "add") is False
    assert policy.user_has_permission(user, "change") is False
    assert policy.user_has_any_permission(user, ["add", "change"]) is False
    assert policy.user_has_any_permission(user, ["add", "change", "view"]) is view
