"""The guided reclamo flow: report a problem in the chat (WhatsApp or the web chat).

Steps: what happened (a problem type staff map to a unit) → a short description
→ photos (WhatsApp; on the web chat, uploaded through ``chatbot.uploads`` at the same
step as the place) → the place (a WhatsApp location or words) → consent to
updates (WhatsApp) → a summary to confirm → the case, filed through
``participation.services.complaints.complaint_create`` with the same validation
as the web form, and its tracking code and deadline.

The flow lives in the conversation's state (``chatbot.models.Conversation.flow``),
so any process takes the next step; "cancelar" ends it at any step and it is
forgotten after ``CHATBOT_CONVERSATION_MINUTES`` idle. Filing carries a
submission token made when the flow started: a retried delivery never files
twice. An anonymous denuncia is never taken in a chat (the messaging provider
knows the number): the bot sends the anonymous web form instead.
"""

from __future__ import annotations

import logging
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from search.analysis import chat_content_words, chat_normalize

logger = logging.getLogger(__name__)

NAME = "report"
CANCEL = re.compile(r"^(cancelar|cancela|cancelo|salir|anular|no quiero|dejalo|ya no|stop|cancel)\b")
SKIP = re.compile(r"^(omitir|omito|no|sin foto|no tengo|listo|ya|continuar|seguir|nada mas|eso es todo|skip|done)\b")
YES = re.compile(r"^(si|enviar|envialo|confirmar|confirmo|ok|dale|de acuerdo|correcto|acepto|claro|yes|send)\b")
NO = re.compile(r"^(no|no gracias|nop|no acepto)\b")
# Starting the flow: the wish to report a problem, in the resident's words.
START = re.compile(
    r"\b(reportar|reporto|reporte|quiero (hacer|poner|presentar|dejar) un reclamo|hacer un reclamo|"
    r"poner un reclamo|presentar un reclamo|quiero reclamar|reclamar por|avisar de un problema|"
    r"hay un problema en mi (calle|barrio|zona)|no pasa el (carro|camion) basurero|no recogen la basura|"
    r"(poste|foco|luminaria|farol)\w* (no prende|apagad|quemad)|fuga de agua|(cano|tuberia) rot|"
    r"arbol caido|se cayo un arbol|hay un bache|un bache|"
    r"report (a|an) (problem|issue|pothole)|i want to report|there is a pothole|a pothole|fallen tree|water leak|"
    r"street ?lights? (is |are )?(out|off|broken))\b"
)
ANONYMOUS = re.compile(r"\b(anonim\w*|sin (dar )?mi nombre|sin identificarme|que no sepan quien)\b")
DESCRIPTION_MIN = 10
LOCATION_MIN = 3


REPORT_WORDS = frozenset("reportar reporto reporte reclamo reclamar problema avisar denunciar".split())


def _described(text: str) -> list[str]:
    """The words of a message that describe a problem (not the wish to report one)."""
    return [w for w in chat_content_words(text) if w not in REPORT_WORDS]


def wants_to_report(text: str) -> bool:
    return bool(START.search(chat_normalize(text)))


def wants_anonymity(text: str) -> bool:
    return bool(ANONYMOUS.search(chat_normalize(text)))


def _reply(text: str, buttons: list[dict] | None = None) -> dict:
    return {"text": text, "buttons": buttons or []}


def _button(title: str, payload: str) -> dict:
    return {"title": title, "payload": payload}


def _types():
    from participation import selectors

    return list(selectors.problem_types())


def _type_buttons() -> list[dict]:
    return [_button(t.name, f'/report_type{{"type":"{t.slug}"}}') for t in _types()[:10]]


def anonymous_answer() -> list[dict]:
    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("participation:complaint_form")
    return [
        _reply(
            _(
                "Una denuncia anónima no se recibe por chat: el servicio de mensajería conoce tu número. "
                "Preséntala en el formulario web, que no guarda ningún dato tuyo: %(url)s"
            )
            % {"url": url}
        )
    ]


def start(*, text: str, channel: str) -> tuple[dict, list[dict]]:
    """A new flow: (its state, the replies). The first message may already say what happened."""
    from participation import selectors

    flow = {"name": NAME, "step": "type", "data": {"token": secrets.token_hex(16), "photos": []}, "channel": channel}
    problem = selectors.problem_type_for_text(text)
    if problem is not None:
        flow["data"]["type"] = problem.slug
        flow["data"]["type_name"] = problem.name
        if len(_described(text)) >= 4:  # a sentence that says what happened, not just "reportar un bache"
            flow["data"]["description"] = " ".join(text.split())[:1000]
            return _to_photo_or_place(flow, intro=_("Entendido: %(type)s.") % {"type": problem.name})
        flow["step"] = "description"
        return flow, [_reply(_("Entendido: %(type)s.") % {"type": problem.name} + " " + _ask_description())]
    return flow, [
        _reply(
            _("Vamos a registrar tu reclamo. Puedes escribir «cancelar» en cualquier momento.")
            + " "
            + _("¿Qué pasó? Elige una opción o descríbelo en pocas palabras."),
            _type_buttons(),
        )
    ]


def _ask_description() -> str:
    return _("Cuéntame brevemente qué pasa (por ejemplo: «hay un bache grande frente al mercado»).")


def _to_photo_or_place(flow: dict, *, intro: str = "") -> tuple[dict, list[dict]]:
    prefix = f"{intro} " if intro else ""
    if flow["channel"] == "whatsapp":
        flow["step"] = "photo"
        return flow, [
            _reply(
                prefix + _("Si puedes, envía una foto del problema. Si no, escribe «omitir»."),
                [_button(_("Omitir"), "omitir")],
            )
        ]
    # The web chat (the widget, or any client of /api/chat/): an optional photo, uploaded
    # with the answer's ``upload`` (chatbot.uploads), and the place at the same step.
    flow["step"] = "photo"
    return flow, [_photo_reply(prefix + _ask_web_photo(), flow)]


def _ask_web_photo() -> str:
    return _("Si tienes una foto del problema, adjúntala con el botón «Adjuntar foto».")


def _photo_reply(text: str, flow: dict, buttons: list[dict] | None = None) -> dict:
    """A reply at the photo step; on the web chat it says where, and offers the photo upload."""
    if flow["channel"] == "whatsapp":
        return _reply(text, buttons)
    reply = _reply(f"{text} {_ask_place(flow)}", buttons)
    reply["attach"] = "photo"  # the widget shows its file input (chatbot.uploads.upload_offer)
    return reply


def _ask_place(flow: dict) -> str:
    if flow["channel"] == "whatsapp":
        return _("¿Dónde es? Envía la ubicación (📎 › Ubicación) o escribe la dirección, la zona o el distrito.")
    return _("¿Dónde es? Escribe la dirección, la zona o el distrito.")


def step(*, flow: dict, text: str, attachment: dict | None, contact: str) -> tuple[dict | None, list[dict]]:
    """The next step of a flow in progress: (its new state or None when it ended, the replies)."""
    norm = chat_normalize(text)
    if CANCEL.match(norm):
        _discard_photos(flow)
        return None, [_reply(_("Listo, cancelé el reclamo. No se registró nada."))]
    handler = {
        "type": _on_type,
        "description": _on_description,
        "photo": _on_photo,
        "place": _on_place,
        "contact": _on_contact,
        "confirm": _on_confirm,
    }.get(flow.get("step"))
    if handler is None:
        return None, [_reply(_("Se reinició la conversación. Escribe tu consulta o «reportar» para un reclamo."))]
    if attachment and attachment.get("type") not in ("image", "location"):
        # A sticker, an audio, a video, a document…: the step stays, and says again what it needs.
        return flow, [_unreadable(flow)]
    return handler(flow, text=text, norm=norm, attachment=attachment, contact=contact)


def _unreadable(flow: dict) -> dict:
    """What a step says to a message it cannot read (a sticker, an audio…): that, and its question again."""
    sorry = _("No puedo ver stickers ni escuchar audios o videos.")
    confirm_buttons = [_button(_("Enviar reclamo"), "enviar"), _button(_("Cancelar"), "cancelar")]
    step_name = flow.get("step")
    if step_name == "type":
        return _reply(f"{sorry} " + _("¿Qué pasó? Elige una opción o descríbelo en pocas palabras."), _type_buttons())
    if step_name == "description":
        return _reply(f"{sorry} {_ask_description()}")
    if step_name == "photo":
        if flow["channel"] == "whatsapp":
            return _reply(
                f"{sorry} " + _("Envía una foto, o escribe «omitir» para seguir sin foto."),
                [_button(_("Omitir"), "omitir")],
            )
        return _photo_reply(f"{sorry} {_ask_web_photo()}", flow)
    if step_name == "contact":
        return _reply(
            f"{sorry} " + _("Responde «sí» o «no»."), [_button(_("Sí, avísenme"), "si"), _button(_("No"), "no")]
        )
    if step_name == "confirm":
        return _reply(f"{sorry} " + _("¿Lo envío? Responde «enviar» o «cancelar»."), confirm_buttons)
    return _reply(f"{sorry} {_ask_place(flow)}")


def _on_type(flow, *, text, norm, attachment, contact):
    from participation import selectors

    chosen = None
    payload = re.match(r'^/report_type\{"type":"([a-z0-9-]{1,60})"\}$', text.strip())
    if payload:
        chosen = next((t for t in _types() if t.slug == payload.group(1)), None)
    elif text.strip():
        chosen = selectors.problem_type_for_text(text)
        if chosen is None and len(norm) >= DESCRIPTION_MIN:
            # Free words that name no type: "otro", with the words as the description.
            chosen = next((t for t in _types() if t.slug == "otro"), None)
            if chosen is not None:
                flow["data"]["description"] = " ".join(text.split())[:1000]
    if chosen is None:
        return flow, [_reply(_("No reconocí el tipo de problema. Elige una opción:"), _type_buttons())]
    flow["data"]["type"], flow["data"]["type_name"] = chosen.slug, chosen.name
    if flow["data"].get("description"):
        return _to_photo_or_place(flow, intro=_("Entendido: %(type)s.") % {"type": chosen.name})
    flow["step"] = "description"
    return flow, [_reply(_ask_description())]


def _on_description(flow, *, text, norm, attachment, contact):
    description = " ".join(text.split())
    if len(description) < DESCRIPTION_MIN or text.startswith("/"):
        return flow, [_reply(_("Necesito unas palabras más (al menos %(n)d letras).") % {"n": DESCRIPTION_MIN})]
    flow["data"]["description"] = description[:1000]
    return _to_photo_or_place(flow)


def _on_photo(flow, *, text, norm, attachment, contact):
    web = flow["channel"] != "whatsapp"
    if attachment and attachment.get("type") == "image":
        return _photo_received(flow, attachment)
    if SKIP.match(norm):
        flow["step"] = "place"
        return flow, [_reply(_ask_place(flow))]
    if attachment and attachment.get("type") == "location":
        return _on_place(flow, text=text, norm=norm, attachment=attachment, contact=contact)
    if web:  # the place, typed at the same step
        if len(" ".join(text.split())) < LOCATION_MIN or text.startswith("/"):
            return flow, [_photo_reply(_ask_web_photo(), flow)]
        return _on_place(flow, text=text, norm=norm, attachment=None, contact=contact)
    return flow, [_reply(_("Envía una foto, o escribe «omitir» para seguir sin foto."))]


def _photo_received(flow: dict, attachment: dict) -> tuple[dict, list[dict]]:
    """A photo at the photo step: a WhatsApp image (downloaded from Meta) or a web chat upload (its bytes)."""
    from chatbot import media

    web = flow["channel"] != "whatsapp"
    photos = flow["data"]["photos"]
    if len(photos) >= settings.AYNI_ATTACHMENT_MAX_COUNT:
        flow["step"] = "place"
        return flow, [_reply(_("Ya tengo el máximo de fotos.") + " " + _ask_place(flow))]
    try:
        if web:  # uploaded to the portal (chatbot.uploads): the bytes, never a path
            data, mime = attachment.get("data"), str(attachment.get("mime_type", ""))
            if not isinstance(data, bytes) or not data:
                raise media.MediaError(_("No recibí ninguna foto."))
        else:
            data, mime = media.whatsapp_media_download(media_id=str(attachment.get("media_id", "")))
        photos.append(media.pending_photo_store(data=data, mime_type=mime))
    except media.MediaError as exc:
        if web:
            return flow, [_photo_reply(str(exc) + " " + _("Adjunta otra foto o continúa sin foto."), flow)]
        return flow, [_reply(str(exc) + " " + _("Envía otra foto o escribe «omitir»."))]
    if len(photos) < settings.AYNI_ATTACHMENT_MAX_COUNT:
        if web:
            return flow, [_photo_reply(_("Foto recibida. Puedes adjuntar otra."), flow)]
        return flow, [_reply(_("Foto recibida. Envía otra o escribe «listo»."), [_button(_("Listo"), "listo")])]
    flow["step"] = "place"
    return flow, [_reply(_("Foto recibida.") + " " + _ask_place(flow))]


def _on_place(flow, *, text, norm, attachment, contact):
    from participation.services.complaints import complaint_point_clean

    data = flow["data"]
    if attachment and attachment.get("type") == "location":
        try:
            latitude, longitude = float(attachment["latitude"]), float(attachment["longitude"])
        except (KeyError, TypeError, ValueError):
            return flow, [_reply(_("No pude leer esa ubicación.") + " " + _ask_place(flow))]
        try:  # the same check complaint_create makes when the case is filed
            complaint_point_clean(latitude, longitude)
        except ValidationError:
            return flow, [_reply(_("Esa ubicación está fuera del municipio.") + " " + _ask_place(flow))]
        data["latitude"], data["longitude"] = round(latitude, 6), round(longitude, 6)
        words = ", ".join(p for p in (attachment.get("name"), attachment.get("address")) if p)
        data["location"] = (words or _("Ubicación enviada por WhatsApp"))[:200]
    else:
        place = " ".join(text.split())
        if len(place) < LOCATION_MIN or text.startswith("/"):
            return flow, [_reply(_ask_place(flow))]
        data["location"] = place[:200]
    if flow["channel"] == "whatsapp":
        flow["step"] = "contact"
        return flow, [
            _reply(
                _("¿Quieres recibir por WhatsApp, a este número, los avisos sobre tu reclamo?"),
                [_button(_("Sí, avísenme"), "si"), _button(_("No"), "no")],
            )
        ]
    return _to_confirm(flow)


def _on_contact(flow, *, text, norm, attachment, contact):
    if YES.match(norm):
        flow["data"]["consent"] = True
    elif NO.match(norm):
        flow["data"]["consent"] = False
    else:
        return flow, [_reply(_("Responde «sí» o «no»."), [_button(_("Sí, avísenme"), "si"), _button(_("No"), "no")])]
    return _to_confirm(flow)


def _to_confirm(flow: dict) -> tuple[dict, list[dict]]:
    data = flow["data"]
    flow["step"] = "confirm"
    lines = [
        _("Revisa tu reclamo:"),
        _("• Tipo: %(type)s") % {"type": data.get("type_name", "")},
        _("• Qué pasa: %(text)s") % {"text": data.get("description", "")},
        _("• Lugar: %(place)s") % {"place": data.get("location", "")},
    ]
    if data.get("photos"):
        lines.append(_("• Fotos: %(n)d") % {"n": len(data["photos"])})
    if flow["channel"] == "whatsapp":
        lines.append(_("• Avisos por WhatsApp: %(yes)s") % {"yes": _("sí") if data.get("consent") else _("no")})
    buttons = [_button(_("Enviar reclamo"), "enviar"), _button(_("Cancelar"), "cancelar")]
    return flow, [_reply("\n".join(lines), buttons)]


def _on_confirm(flow, *, text, norm, attachment, contact):
    if not YES.match(norm):
        buttons = [_button(_("Enviar reclamo"), "enviar"), _button(_("Cancelar"), "cancelar")]
        return flow, [_reply(_("¿Lo envío? Responde «enviar» o «cancelar»."), buttons)]
    return _file(flow, contact=contact)


def _file(flow: dict, *, contact: str) -> tuple[dict | None, list[dict]]:
    from chatbot import media
    from participation import selectors
    from participation.services.complaints import complaint_create

    data = flow["data"]
    problem = next((t for t in _types() if t.slug == data.get("type")), None)
    if problem is None:
        flow["step"] = "type"
        return flow, [_reply(_("Ese tipo de problema ya no existe. Elige otro:"), _type_buttons())]
    files = []
    for key in data.get("photos", []):
        try:
            files.append(media.pending_photo_open(key))
        except (media.MediaError, ValueError):  # purged meanwhile: the case goes without that photo
            logger.warning("a pending chat photo was gone when the reclamo was filed")
    whatsapp = flow["channel"] == "whatsapp"
    try:
        complaint, _created = complaint_create(
            kind="reclamo",
            unit=None,
            problem_type=problem,
            subject=_subject(data["description"]),
            description=data["description"],
            location=data.get("location", ""),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            contact_whatsapp=contact if whatsapp and data.get("consent") else "",
            notify_consent=bool(whatsapp and data.get("consent")),
            attachments=files,
            submission_token=data["token"],
            channel="whatsapp" if whatsapp else "chat_web",
        )
    except ValidationError as exc:
        messages = "; ".join(m for ms in getattr(exc, "message_dict", {"": exc.messages}).values() for m in ms)
        logger.info("a reclamo from the chat did not validate")
        return flow, [_reply(_("No pude registrar el reclamo: %(why)s") % {"why": messages})]
    _discard_photos(flow)
    public = selectors.complaint_public(complaint=complaint)
    days = _business_days(complaint)
    text = _(
        "¡Listo! Registré tu reclamo con el código %(code)s. Guárdalo para consultar su estado "
        "(escríbeme el código cuando quieras). Plazo de respuesta: %(date)s (%(days)d días hábiles)."
    ) % {"code": public["code"], "date": date_format(complaint.due_date), "days": days}
    return None, [_reply(text)]


def _subject(description: str) -> str:
    """A case's subject from the resident's words: their first sentence, short (the type has its own column)."""
    first = re.split(r"(?<=[.!?])\s", description, maxsplit=1)[0].strip()
    return first if len(first) <= 80 else first[:79].rstrip() + "…"


def _business_days(complaint) -> int:
    from participation import deadlines

    return deadlines.business_days_for(complaint.kind)


def discard(flow: dict) -> None:
    """A flow that ends without a case (cancelled, expired): its pending photos go."""
    _discard_photos(flow)


def _discard_photos(flow: dict) -> None:
    from chatbot import media

    for key in flow.get("data", {}).get("photos", []):
        try:
            media.pending_photo_delete(key)
        except Exception:  # a photo already gone is no reason to fail the answer
            logger.warning("could not delete a pending chat photo")
