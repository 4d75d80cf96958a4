"""``/webhooks/whatsapp/``: the WhatsApp Cloud API webhook (thin: pywa + services).

GET answers Meta's verification challenge. POST checks the signature, records
the raw delivery (one INSERT; an identical re-delivery is a no-op) and answers
200 at once; the worker splits it into messages (each Meta id once) and
statuses and sends the replies. A body that is not a JSON object (or is nested
absurdly deep) is a 400; malformed items inside a good delivery are skipped by
the worker without costing the other items their answer.
"""

import logging

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chatbot import services, whatsapp

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
        whatsapp.parse_delivery(body)
    except whatsapp.MalformedDelivery as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    # One INSERT and the answer: the worker splits the delivery into messages (each
    # Meta id once), records the statuses and sends the replies. Malformed items are
    # skipped there; the delivery is acknowledged (200), or Meta would retry it for days.
    services.whatsapp_delivery_record(body=body)
    return HttpResponse("ok", content_type="text/plain")
