"""What a complaint tells people, and when (the service itself is ``ayni.notifications``).

- The receipt goes out at once when a case is filed with contact details and
  consent (not on WhatsApp for a case filed in a WhatsApp chat: the chat's own
  answer is the receipt).
- Later public changes (assignment, status, public reply) are grouped per case:
  the first opens a group that is sent ``AYNI_NOTIFY_GROUP_SECONDS`` later with
  every change made meanwhile, so a case worked on in one sitting sends one
  message. Internal notes are never sent.
- An anonymous denuncia has nobody to tell: nothing is sent or kept.
- The staff who handle a case due within ``AYNI_COMPLAINT_DUE_SOON_DAYS`` get
  one reminder a day that lists their cases (the periodic job
  ``participation.due_reminders``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ayni.notifications import (
    Message,
    Recipient,
    notification_claim,
    notification_claimed,
    notification_marks_purge,
    notify,
    notify_grouped,
)
from participation.models import Complaint

logger = logging.getLogger(__name__)

REMINDER_KEY = "complaint-due:"
REMINDER_MARKS_KEPT = timedelta(days=7)


def complaint_recipient(complaint: Complaint) -> Recipient | None:
    """Who hears about a case: the contact given with consent (and the account), or the account alone."""
    if complaint.anonymous:
        return None
    if complaint.notify_consent:
        return Recipient(user_id=complaint.user_id, email=complaint.contact_email, whatsapp=complaint.contact_whatsapp)
    if complaint.user_id:
        return Recipient(user_id=complaint.user_id)
    return None


def _tracking_url() -> str:
    # The code never travels in a URL: the page asks for it (POST).
    return reverse("participation:tracking")


def complaint_receipt_send(complaint: Complaint) -> int:
    """The receipt of a case filed with contact details and consent, queued for after the commit."""
    recipient = complaint_recipient(complaint)
    if recipient is None or not complaint.notify_consent:
        return 0
    if complaint.channel == Complaint.Channel.WHATSAPP:
        # Filed in a WhatsApp chat: the chat already answered with the code and the due date.
        recipient = Recipient(user_id=recipient.user_id, email=recipient.email)
    if recipient.empty:
        return 0
    values = {"kind": complaint.get_kind_display(), "code": complaint.code}
    body = _(
        "Registramos tu %(kind)s con el código %(code)s. Guárdalo para consultar su estado. "
        "Plazo de respuesta: %(date)s."
    ) % {**values, "date": date_format(complaint.due_date)}
    return notify(
        recipients=[recipient],
        message=Message(
            event="complaint_received",
            subject=_("Recibimos tu %(kind)s %(code)s") % values,
            body=body,
            url=_tracking_url(),
        ),
    )


def complaint_change_notify(complaint: Complaint, *, text: str = "", reply: bool = False) -> bool:
    """Add a public change to the case's pending group (opened by the first change); False if nobody is told."""
    recipient = complaint_recipient(complaint)
    if recipient is None or recipient.empty:
        return False
    # Written in the portal's language whoever makes the change (the complainant's is not known).
    with translation.override(settings.LANGUAGE_CODE):
        if reply:
            body = _("Respuesta sobre tu caso %(code)s:") % {"code": complaint.code} + "\n" + text
        else:
            body = _("Tu caso %(code)s está ahora en estado «%(status)s».") % {
                "code": complaint.code,
                "status": complaint.get_status_display(),
            }
            if text:
                body += "\n\n" + text
        message = Message(
            event="complaint_update",
            subject=_("Novedades de tu caso %(code)s") % {"code": complaint.code},
            body=body,
            url=_tracking_url(),
        )
    notify_grouped(key=f"complaint:{complaint.pk}", recipient=recipient, message=message)
    return True


# --- Reminders to staff --------------------------------------------------------------


def complaint_due_reminders_send(*, today=None) -> int:
    """Remind the staff of each case due soon, once per case per day; returns how many cases.

    One message per person lists all their cases reminded in this run. Claims
    and deliveries share one transaction: a run that fails reminds nobody and
    claims nothing, and two runs at once remind each case once.
    """
    from participation import selectors

    today = today or timezone.localdate()
    reminded = 0
    per_user: dict[int, tuple] = {}
    with transaction.atomic():
        due = {
            f"{REMINDER_KEY}{complaint.pk}:{today.isoformat()}": complaint
            for complaint in selectors.complaints_due_soon(today=today)
        }
        done = notification_claimed(due)  # the hourly runs after the first of the day stop here
        for key, complaint in due.items():
            if key in done:
                continue
            staff = [user for user in selectors.complaint_reminder_staff(complaint=complaint) if user.email]
            if not staff or not notification_claim(key):  # a concurrent run claimed it meanwhile
                continue
            reminded += 1
            for user in staff:
                per_user.setdefault(user.pk, (user, []))[1].append(complaint)
        with translation.override(settings.LANGUAGE_CODE):
            for user, complaints in per_user.values():
                notify(recipients=[Recipient(user_id=user.pk, email=user.email)], message=_reminder(complaints))
        notification_marks_purge(prefix=REMINDER_KEY, before=timezone.now() - REMINDER_MARKS_KEPT)
    if reminded:
        logger.info("due-date reminders: %d cases, %d staff", reminded, len(per_user))
    return reminded


def _reminder(complaints: list[Complaint]) -> Message:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    lines = []
    for complaint in complaints:
        values = {
            "code": complaint.code,
            "subject": complaint.subject,
            "unit": complaint.unit.name,
            "date": date_format(complaint.due_date),
        }
        link = base + reverse("participation_admin:complaint", args=[complaint.pk])
        lines.append(_("%(code)s · %(subject)s (%(unit)s) · vence el %(date)s") % values + "\n" + link)
    count = len(complaints)
    heading = ngettext(
        "Este caso que atiendes vence en los próximos %(days)d días:",
        "Estos %(count)d casos que atiendes vencen en los próximos %(days)d días:",
        count,
    ) % {"count": count, "days": settings.AYNI_COMPLAINT_DUE_SOON_DAYS}
    return Message(
        event="complaint_due_soon",
        subject=ngettext("%(count)d caso vence pronto", "%(count)d casos vencen pronto", count) % {"count": count},
        body=heading + "\n\n" + "\n\n".join(lines),
        url=reverse("participation_admin:queue") + "?vencidos=pronto",
    )
