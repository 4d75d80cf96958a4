"""The WhatsApp channel of the notification service (ayni.notifications).

Switched on in ``settings.AYNI_NOTIFICATION_CHANNELS``; it reaches recipients
who gave a WhatsApp number (participation asks for consent) while the Cloud
API is configured.
"""

from django.conf import settings

from ayni.notifications import Channel, Message, Recipient


class WhatsAppChannel(Channel):
    name = "whatsapp"

    def reaches(self, recipient: Recipient) -> bool:
        return bool(settings.WHATSAPP_ENABLED and recipient.whatsapp)

    def deliver(self, recipient: Recipient, message: Message) -> None:
        from chatbot.services import whatsapp_notification_send

        whatsapp_notification_send(
            wa_id=_digits(recipient.whatsapp), subject=message.subject, body=message.body, url=message.url
        )


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())
