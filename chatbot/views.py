"""``/webhooks/whatsapp/``: the WhatsApp Cloud API webhook (thin: pywa + services).

GET answers Meta's verification challenge. POST checks the signature, stores
what arrived (each message id once) and answers 200 at once; the replies are
sent by a background task.
"""

import json
import logging

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chatbot import services, tasks, whatsapp

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request):
    if not settings.WHATSAPP_ENABLED:
        raise Http404
    if request.method == "GET":
        body, status = whatsapp.challenge(
            verify_token=request.GET.get("hub.verify_token"),
            challenge_value=request.GET.get("hub.challenge"),
            mode=request.GET.get("hub.mode"),
        )
        return HttpResponse(body, status=status, content_type="text/plain")

    body = request.body
    error = whatsapp.signature_error(body=body, signature=request.headers.get("X-Hub-Signature-256"))
    if error is not None:
        message, status = error
        return JsonResponse({"detail": _("Firma no válida.") if status == 403 else _("Falta la firma.")}, status=status)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"detail": _("El cuerpo no es JSON válido.")}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"detail": _("El cuerpo no es un objeto JSON.")}, status=400)
    new_messages = services.whatsapp_webhook_receive(payload=payload)
    for pk in new_messages:
        transaction.on_commit(lambda pk=pk: _enqueue_reply(pk))
    return HttpResponse("ok", content_type="text/plain")


def _enqueue_reply(pk: int) -> None:
    try:
        tasks.whatsapp_reply.enqueue(pk)
    except Exception:  # the message stays "received"; never make Meta retry for our queue
        logger.exception("could not enqueue the WhatsApp reply for message %s", pk)


def unanswered_questions(request):
    """Wagtail admin: what residents asked that the bot could not answer, most frequent first."""
    from django.core.exceptions import PermissionDenied
    from django.template.response import TemplateResponse

    from chatbot import rules, selectors

    if not rules.can_view_chat_log(request.user):
        raise PermissionDenied
    try:
        days = max(1, min(int(request.GET.get("dias", 30)), 365))
    except ValueError:
        days = 30
    channel = request.GET.get("canal") or None
    if channel not in (None, "web", "api", "whatsapp"):
        channel = None
    rows = list(selectors.unanswered_questions(days=days, channel=channel)[:200])
    context = {"rows": rows, "days": days, "channel": channel or "", "stats": selectors.exchange_stats(days=days)}
    return TemplateResponse(request, "chatbot/admin/unanswered.html", context)
