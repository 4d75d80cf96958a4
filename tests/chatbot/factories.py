"""Factories for the chatbot's records."""

from __future__ import annotations

import hashlib

import factory

from chatbot.models import Conversation, WhatsAppMessage


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation
        django_get_or_create = ("sender_hash",)

    sender_hash = factory.Sequence(lambda n: hashlib.sha256(f"remitente-{n}".encode()).hexdigest())
    language = "es"


class WhatsAppMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WhatsAppMessage
        django_get_or_create = ("message_id",)

    message_id = factory.Sequence(lambda n: f"wamid.PRUEBA{n}")
    wa_id = factory.Sequence(lambda n: f"5917{n:07d}")
    kind = "text"
    text = "hola"
