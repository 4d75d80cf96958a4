"""The notification service: channels are switched on in one setting."""

from datetime import timedelta

import pytest
from django.core import mail

from ayni import notifications
from ayni.models import NotificationGroup
from ayni.notifications import Channel, Message, Recipient
from participation.models import Notification
from participation.notifications import recipient_for_user

pytestmark = pytest.mark.django_db

DELIVERED: list = []


class FakeWhatsAppChannel(Channel):
    """What the chatbot issue will add (there with the WhatsApp Cloud API)."""

    name = "whatsapp"

    def reaches(self, recipient):
        return bool(recipient.whatsapp)

    def deliver(self, recipient, message):
        DELIVERED.append((recipient.whatsapp, message.subject))


def test_each_recipient_gets_each_channel_that_reaches_it(make_user, django_capture_on_commit_callbacks):
    user = make_user()
    message = Message(event="prueba", subject="Asunto", body="Cuerpo", url="/participa/")
    with django_capture_on_commit_callbacks(execute=True):
        count = notifications.notify(
            recipients=[
                recipient_for_user(user),
                Recipient(email="solo-correo@ejemplo.bo"),
                Recipient(),
                recipient_for_user(user),  # duplicates are dropped
            ],
            message=message,
        )
    assert count == 3
    assert Notification.objects.filter(user=user, subject="Asunto").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([user.email, "solo-correo@ejemplo.bo"])
    assert "http://" in mail.outbox[0].body and "/participa/" in mail.outbox[0].body


def test_a_new_channel_is_one_setting_away(settings, django_capture_on_commit_callbacks):
    settings.AYNI_NOTIFICATION_CHANNELS = [
        *settings.AYNI_NOTIFICATION_CHANNELS,
        "tests.participation.test_notifications.FakeWhatsAppChannel",
    ]
    DELIVERED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[Recipient(whatsapp="+59171234567")], message=Message("e", "Hola", "Texto"))
    assert DELIVERED == [("+59171234567", "Hola")]
    assert mail.outbox == []


def test_nothing_is_sent_if_the_transaction_rolls_back(make_user):
    from django.db import transaction

    user = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.notify(recipients=[recipient_for_user(user)], message=Message("e", "S", "B"))
        raise RuntimeError
    assert not Notification.objects.filter(user=user).exists() and mail.outbox == []


# --- A case's messages: the receipt at once, later changes grouped (issue 13, item 2) -----------

GRAPH_MESSAGES = r"https://graph.facebook.com/v[0-9.]+/PHONE1/messages"
NUMBER = "+59171112233"


@pytest.fixture
def whatsapp_on(settings):
    """WhatsApp switched on; only Meta's Graph API is mocked (respx, at the HTTP boundary)."""
    from chatbot import whatsapp

    settings.WHATSAPP_TOKEN = "test-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "PHONE1"
    settings.WHATSAPP_ENABLED = True
    settings.WHATSAPP_SEND_BACKOFF_SECONDS = 0
    whatsapp._client.cache_clear()
    yield settings
    whatsapp._client.cache_clear()


@pytest.fixture
def meta(respx_mock, whatsapp_on):
    import itertools
    import json

    import httpx

    ids = itertools.count(1)

    def accepted(request):
        to = json.loads(request.content)["to"]
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.N{next(ids)}"}],
            },
        )

    return respx_mock.post(url__regex=GRAPH_MESSAGES).mock(side_effect=accepted)


def _sent_whatsapp(route, number=NUMBER) -> list[str]:
    import json

    bodies = [json.loads(call.request.content) for call in route.calls]
    return [json.dumps(body, ensure_ascii=False) for body in bodies if body["to"] == number.lstrip("+")]


def _mails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def _file(unit, **contact):
    from participation import services

    complaint, _created = services.complaint_create(
        kind="reclamo",
        unit=unit,
        subject="Luminaria apagada en la plaza",
        description="La luminaria de la plaza no funciona desde el lunes.",
        **contact,
    )
    return complaint


def _work_three_changes(complaint, officer) -> None:
    from participation import services

    services.complaint_assign(complaint=complaint, actor=officer, assignee=officer)
    services.complaint_change_status(
        complaint=complaint, actor=officer, status="en_proceso", text="Enviamos una cuadrilla."
    )
    services.complaint_reply(complaint=complaint, actor=officer, text="Repararemos la luminaria el jueves.")


def _flush(capture, *, at) -> int:
    with capture(execute=True):
        return notifications.notification_groups_flush(now=at)


def test_filed_and_changed_three_times_within_a_minute_sends_at_most_two_messages(
    unit_a, officer_a, meta, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    email = "vecina.avisos@ejemplo.bo"
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        complaint = _file(unit_a, contact_email=email, contact_whatsapp=NUMBER, notify_consent=True)
    # The receipt goes out at once, by e-mail and by WhatsApp.
    receipt = _mails_to(email)
    assert len(receipt) == 1 and complaint.code in receipt[0].subject and complaint.code in receipt[0].body
    assert len(_sent_whatsapp(meta)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        _work_three_changes(complaint, officer_a)
    assert len(_mails_to(email)) == 1 and len(_sent_whatsapp(meta)) == 1  # nothing yet: the window is open

    # The worker's sweep a minute later: the window is still open.
    _flush(django_capture_on_commit_callbacks, at=start + timedelta(minutes=1))
    assert len(_mails_to(email)) == 1 and len(_sent_whatsapp(meta)) == 1

    # When the window closes, one message lists the three changes.
    _flush(django_capture_on_commit_callbacks, at=timezone.now() + notifications.group_window())
    mails = _mails_to(email)
    assert len(mails) == 2
    update = mails[1]
    assert complaint.code in update.subject and "3 novedades" in update.body
    assert "asignado" in update.body and "en proceso" in update.body
    assert "Repararemos la luminaria el jueves." in update.body and "Enviamos una cuadrilla." in update.body
    whatsapp = _sent_whatsapp(meta)
    assert len(whatsapp) == 2 and "Repararemos la luminaria el jueves." in whatsapp[1]

    # The sweep running again (or late) sends nothing more, and nothing of the recipient is kept.
    _flush(django_capture_on_commit_callbacks, at=timezone.now() + timedelta(hours=1))
    assert len(_mails_to(email)) == 2 and len(_sent_whatsapp(meta)) == 2
    assert not NotificationGroup.objects.filter(key=f"complaint:{complaint.pk}").exists()


def test_a_change_after_the_window_is_a_new_message(unit_a, officer_a, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from participation import services

    email = "vecino.despues@ejemplo.bo"
    complaint = _file(unit_a, contact_email=email, notify_consent=True)  # receipt not sent: not committed
    window = notifications.group_window()
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_assign(complaint=complaint, actor=officer_a, assignee=officer_a)
    _flush(django_capture_on_commit_callbacks, at=timezone.now() + window)
    assert len(_mails_to(email)) == 1 and "novedades" not in _mails_to(email)[0].body

    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_change_status(complaint=complaint, actor=officer_a, status="respondido", text="Listo.")
    group = NotificationGroup.objects.get(key=f"complaint:{complaint.pk}")
    assert group.items and len(group.items) == 1  # a new group, not the one already sent
    _flush(django_capture_on_commit_callbacks, at=timezone.now() + window)
    mails = _mails_to(email)
    assert len(mails) == 2 and "respondido" in mails[1].body and "Listo." in mails[1].body


def test_notes_are_never_sent_and_anonymous_cases_tell_nobody(
    unit_a, make_user, transparency, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from participation import services

    with django_capture_on_commit_callbacks(execute=True):
        anonymous, _ = services.complaint_create(
            kind="denuncia",
            unit=unit_a,
            subject="Cobro irregular en ventanilla",
            description="Me pidieron un pago sin recibo en la ventanilla 3.",
            anonymous=True,
        )
        services.complaint_assign(complaint=anonymous, actor=transparency, assignee=transparency)
        services.complaint_note(complaint=anonymous, actor=transparency, text="Revisar cámaras")
        services.complaint_change_status(complaint=anonymous, actor=transparency, status="en_proceso")
    assert not NotificationGroup.objects.filter(key=f"complaint:{anonymous.pk}").exists()
    _flush(django_capture_on_commit_callbacks, at=timezone.now() + timedelta(hours=1))
    assert not [m for m in mail.outbox if anonymous.code in m.subject or anonymous.code in m.body]


def test_the_window_is_a_setting_and_zero_sends_each_change_at_once(
    settings, unit_a, officer_a, django_capture_on_commit_callbacks
):
    from participation import services

    settings.AYNI_NOTIFY_GROUP_SECONDS = 0
    email = "vecina.inmediata@ejemplo.bo"
    complaint = _file(unit_a, contact_email=email, notify_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_assign(complaint=complaint, actor=officer_a, assignee=officer_a)
        services.complaint_reply(complaint=complaint, actor=officer_a, text="Vamos mañana.")
    assert len(_mails_to(email)) == 2
    assert not NotificationGroup.objects.filter(key=f"complaint:{complaint.pk}").exists()


def test_a_rolled_back_change_adds_nothing_to_the_group(unit_a, officer_a):
    from django.db import transaction

    from participation import services

    complaint = _file(unit_a, contact_email="vecina.rollback@ejemplo.bo", notify_consent=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.complaint_assign(complaint=complaint, actor=officer_a, assignee=officer_a)
        raise RuntimeError
    assert not NotificationGroup.objects.filter(key=f"complaint:{complaint.pk}").exists()


def test_a_group_flushed_twice_sends_once(unit_a, officer_a, django_capture_on_commit_callbacks):
    """The deferred task and the periodic sweep (or two workers) may both flush one group."""
    from django.utils import timezone

    from ayni import tasks

    email = "vecino.dos.veces@ejemplo.bo"
    complaint = _file(unit_a, contact_email=email, notify_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        _work_three_changes(complaint, officer_a)
    group = NotificationGroup.objects.get(key=f"complaint:{complaint.pk}")
    assert notifications.notification_group_flush(pk=group.pk, now=timezone.now()) == 0  # not due yet
    later = timezone.now() + notifications.group_window()
    with django_capture_on_commit_callbacks(execute=True):
        first = notifications.notification_group_flush(pk=group.pk, now=later)
        second = notifications.notification_group_flush(pk=group.pk, now=later)
        sweep = notifications.notification_groups_flush(now=later)
    assert (first, second) == (1, 0) and len(_mails_to(email)) == 1
    assert sweep >= 0 and len(_mails_to(email)) == 1
    # The deferred task is the same function: a group already sent is not found.
    assert tasks.flush_notification_group.call(pk=group.pk) == 0


def test_the_sweep_is_a_periodic_job_and_a_deferring_queue_flushes_each_group_when_due(
    settings, unit_a, officer_a, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    from ayni import schedule, tasks

    job = {job.name: job for job in schedule.jobs()}["ayni.notification_groups"]
    assert job.task is tasks.notification_groups_flush and job.every <= timedelta(minutes=1)

    complaint = _file(unit_a, contact_email="vecina.diferida@ejemplo.bo", notify_consent=True)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # defers, runs nothing
    with django_capture_on_commit_callbacks(execute=True):
        _work_three_changes(complaint, officer_a)
    group = NotificationGroup.objects.get(key=f"complaint:{complaint.pk}")
    flushes = [r for r in default_task_backend.results if r.task.name == "flush_notification_group"]
    assert len(flushes) == 1  # one per group, not one per change
    assert flushes[0].kwargs == {"pk": group.pk} and flushes[0].task.run_after == group.due_at


ON_POSTGRES = __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrency needs PostgreSQL; SQLite serialises all writers")
def test_concurrent_flushes_of_one_group_send_it_once():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections, transaction
    from django.utils import timezone

    address = "vecina.concurrente@ejemplo.bo"
    NotificationGroup.objects.all().delete()  # only this test's group (the demo's cases may have opened some)
    with transaction.atomic():
        for n in range(3):
            notifications.notify_grouped(
                key="complaint:concurrent",
                recipient=Recipient(email=address),
                message=Message("complaint_update", "Novedades", f"Cambio {n}"),
            )
    group = NotificationGroup.objects.get(key="complaint:concurrent")
    later = timezone.now() + notifications.group_window()
    calls = 8
    barrier = threading.Barrier(calls)

    def flush(index):
        try:
            barrier.wait(timeout=30)
            if index % 2:
                return notifications.notification_group_flush(pk=group.pk, now=later)
            return notifications.notification_groups_flush(now=later)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=calls) as pool:
        results = list(pool.map(flush, range(calls)))
    assert sum(results) == 1
    sent = _mails_to(address)
    assert len(sent) == 1 and "3 novedades" in sent[0].body
    assert not NotificationGroup.objects.filter(key="complaint:concurrent").exists()


# --- Reminders to staff: cases due soon, once per case per day (issue 13, item 8) ----------------


def _reminded(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


def test_staff_are_reminded_of_cases_due_soon_once_a_day(
    settings,
    municipal_unit_factory,
    case_worker_factory,
    transparency_officer_factory,
    complaint_factory,
    django_capture_on_commit_callbacks,
):
    from django.utils import timezone

    from participation.services.notices import complaint_due_reminders_send

    settings.AYNI_COMPLAINT_DUE_SOON_DAYS = 2
    today = timezone.localdate()
    unit, other_unit = municipal_unit_factory(), municipal_unit_factory()
    ana, beto = case_worker_factory(units=[unit]), case_worker_factory(units=[unit])
    outsider = case_worker_factory(units=[other_unit])
    transparency = transparency_officer_factory()
    unassigned = complaint_factory(unit=unit, due_date=today + timedelta(days=1))
    assigned = complaint_factory(unit=unit, due_date=today + timedelta(days=2), assigned_to=beto)
    later = complaint_factory(unit=unit, due_date=today + timedelta(days=3))
    closed = complaint_factory(unit=unit, due_date=today, status="respondido")
    overdue = complaint_factory(unit=unit, due_date=today - timedelta(days=1))
    denuncia = complaint_factory(unit=unit, kind="denuncia", due_date=today)

    with django_capture_on_commit_callbacks(execute=True):
        complaint_due_reminders_send(today=today)
    to_ana, to_beto = _reminded(ana), _reminded(beto)
    assert len(to_ana) == 1 and len(to_beto) == 1
    # An unassigned case: everyone of its unit; an assigned one: its assignee only.
    assert unassigned.code in to_ana[0].body and unassigned.code in to_beto[0].body
    assert assigned.code in to_beto[0].body and assigned.code not in to_ana[0].body
    assert "2 casos vencen pronto" in to_beto[0].subject
    for quiet in (later, closed, overdue, denuncia):
        assert quiet.code not in to_ana[0].body + to_beto[0].body
    assert f"/admin/participa/reclamos/{unassigned.pk}/" in to_ana[0].body
    # A denuncia goes to the transparency unit; another unit's officer hears nothing.
    assert [denuncia.code in m.body for m in _reminded(transparency)] == [True]
    assert _reminded(outsider) == []

    # The job runs every hour: the same day it sends nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        assert complaint_due_reminders_send(today=today) == 0
    assert len(_reminded(ana)) == 1 and len(_reminded(beto)) == 1

    # The next day the cases still open and due soon are reminded again.
    with django_capture_on_commit_callbacks(execute=True):
        complaint_due_reminders_send(today=today + timedelta(days=1))
    assert len(_reminded(beto)) == 2 and later.code in _reminded(beto)[1].body
    assert unassigned.code in _reminded(beto)[1].body


def test_reminders_are_a_registered_job_that_rolls_back_whole(
    municipal_unit_factory, case_worker_factory, complaint_factory, monkeypatch
):
    from django.utils import timezone

    from ayni import schedule
    from ayni.models import NotificationMark
    from participation import tasks
    from participation.services import notices

    job = {job.name: job for job in schedule.jobs()}["participation.due_reminders"]
    assert job.task is tasks.complaint_due_reminders and job.every <= timedelta(hours=1)

    unit = municipal_unit_factory()
    case_worker_factory(units=[unit])
    complaint = complaint_factory(unit=unit, due_date=timezone.localdate())

    def broken(**kwargs):
        raise RuntimeError("mail server down")

    monkeypatch.setattr(notices, "notify", broken)
    with pytest.raises(RuntimeError):
        notices.complaint_due_reminders_send()
    # Nothing was claimed: the next run reminds the case.
    assert not NotificationMark.objects.filter(key__startswith=f"complaint-due:{complaint.pk}:").exists()


def test_a_claim_is_given_once():
    assert notifications.notification_claim("tests:claim:1")
    assert not notifications.notification_claim("tests:claim:1")
    assert notifications.notification_claimed(["tests:claim:1", "tests:claim:2"]) == {"tests:claim:1"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrency needs PostgreSQL; SQLite serialises all writers")
def test_concurrent_reminder_runs_remind_each_case_once(municipal_unit_factory, case_worker_factory, complaint_factory):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.utils import timezone

    from participation.services.notices import complaint_due_reminders_send

    unit = municipal_unit_factory()
    worker = case_worker_factory(units=[unit])
    cases = [complaint_factory(unit=unit, due_date=timezone.localdate()) for _ in range(3)]
    runs = 6
    barrier = threading.Barrier(runs)

    def run(_index):
        try:
            barrier.wait(timeout=30)
            return complaint_due_reminders_send()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=runs) as pool:
        reminded = list(pool.map(run, range(runs)))
    assert sum(reminded) >= 3  # the demo's cases due soon may be reminded too
    sent = _reminded(worker)
    for case in cases:
        assert sum(case.code in message.body for message in sent) == 1
