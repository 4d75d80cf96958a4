"""The demo loads into a flushed database (transactional tests empty every table, Wagtail's root included)."""

import pytest
from wagtail.models import Page


@pytest.mark.django_db(transaction=True)
def test_demo_loads_into_a_flushed_database():
    from django.core.management import call_command

    call_command("flush", "--noinput")
    assert Page.get_first_root_node() is None
    from cms.demo.loader import load_demo

    load_demo()
    load_demo()
    assert Page.objects.filter(slug="licencia-de-funcionamiento").exists()
