"""Staff see the periodic jobs with their last and next run (admin report and `manage.py schedule`)."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ayni.models import ScheduledJobRun
from ayni.schedule import job_statuses, jobs

pytestmark = pytest.mark.django_db


def test_every_registered_job_has_its_last_and_next_run():
    now = timezone.now()
    ran = now - timedelta(minutes=2)
    ScheduledJobRun.objects.update_or_create(name="chatbot.purge", defaults={"last_enqueued_at": ran})
    statuses = {status.name: status for status in job_statuses(now=now)}
    assert set(statuses) == {job.name for job in jobs()}
    purge = statuses["chatbot.purge"]
    assert purge.last_enqueued_at == ran and purge.next_due_at == ran + purge.every
    never = statuses["participation.personal_data_purge"]
    assert never.last_enqueued_at is None and never.next_due_at == now  # the next tick enqueues it


def test_the_command_lists_the_jobs_and_the_polls():
    out = StringIO()
    call_command("schedule", stdout=out)
    text = out.getvalue()
    for job in jobs():
        assert job.name in text
    assert "nunca" in text


def test_superusers_see_the_report_and_export_it(admin_client):
    response = admin_client.get(reverse("ayni_schedule"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tareas periódicas" in html and "opendata.published_datasets" in html
    assert "6 horas" in html and "nunca" in html and re.search(r">\s*1 minuto\s*<", html)
    export = admin_client.get(reverse("ayni_schedule") + "?export=csv")
    assert export.status_code == 200
    rows = b"".join(export.streaming_content).decode().splitlines()
    assert rows[0].startswith("Tarea,")
    assert any(row.startswith("chatbot.purge,") for row in rows)


def test_other_staff_cannot_see_it(client, django_user_model):
    editor = django_user_model.objects.create_user("editora", "editora@example.org", "x" * 12)
    group = Group.objects.create(name="Editores de prueba")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    editor.groups.add(group)
    client.force_login(editor)
    response = client.get(reverse("ayni_schedule"))
    # Wagtail answers a refused admin page with a redirect to the dashboard and a message.
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert client.get(reverse("ayni_schedule") + "?export=csv").status_code == 302
