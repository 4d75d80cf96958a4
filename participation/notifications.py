"""Participation's notification channel (the in-site inbox) and its recipients.

The service itself (``notify``, ``Message``, ``Recipient``, the e-mail channel)
is the core's: ``ayni.notifications``.
"""

from __future__ import annotations

from ayni.notifications import Channel, Message, Recipient


class SiteChannel(Channel):
    """Stored notifications, listed at /participa/notificaciones/."""

    name = "site"

    def reaches(self, recipient: Recipient) -> bool:
        return recipient.user_id is not None

    def deliver(self, recipient: Recipient, message: Message) -> None:
        from participation.models import Notification

        Notification.objects.create(
            user_id=recipient.user_id,
            event=message.event,
            subject=message.subject[:200],
            body=message.body,
            url=message.url,
        )


def recipient_for_user(user) -> Recipient:
    """An account: in-site always; e-mail once the address is verified."""
    profile = getattr(user, "participation_profile", None)
    verified = bool(profile and profile.email_verified)
    return Recipient(user_id=user.pk, email=user.email if verified and user.email else "")
