"""Everything the bot says, once, through gettext (es first, en; ay/qu where translated).

Answers about a guide are composed from its typed facts (the dict of
``cms.selectors.guide_detail``, the same as ``/api/guides/<slug>/``), so an
editor who changes a requirement changes what the bot says.
"""

from __future__ import annotations

import json

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cms.selectors import site_contact

ASKS = ("requirements", "cost", "duration", "office", "online")


def phone() -> str:
    """The 800 line, as staff set it in the portal settings."""
    return site_contact().phone


def phone_with_hours() -> str:
    """The 800 line and, when staff gave them, its opening hours: «800-13-5555 (Lunes a viernes…)»."""
    contact = site_contact()
    return f"{contact.phone} ({contact.hours})" if contact.hours else contact.phone


# --- buttons ---------------------------------------------------------------------
#
# A button's payload is read by the portal itself (``chatbot.understanding``),
# never sent to Rasa: ``/intent{"entity": "value"}``, Rasa's own notation.


def payload(intent: str, **entities) -> str:
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False, separators=(",", ":")) if entities else "")


def guide_button(guide: dict, asks: str = "requirements") -> dict:
    return {"title": guide["title"], "payload": payload(f"ask_{asks}", procedure=guide["slug"])}


def flow_expired() -> str:
    return _("Tu reclamo anterior quedó sin enviar porque pasó mucho tiempo. Si quieres, empecemos de nuevo.")


def report_button() -> dict:
    return {"title": _("Reportar un problema"), "payload": payload("report_problem")}


def attachment_without_flow() -> str:
    return _(
        "Recibí tu foto o ubicación, pero no sé para qué es. Para reportar un problema (un bache, un poste "
        "sin luz, basura…), escribe «reportar»."
    )


def menu_buttons(categories: list[dict]) -> list[dict]:
    """One button per category of guides (``{"slug", "name"}``), from the CMS: never a hard-coded list."""
    return [{"title": c["name"], "payload": payload("menu_option", menu_category=c["slug"])} for c in categories]


# --- guide facts -----------------------------------------------------------------


def _money(amount) -> str:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return ""
    return f"Bs {value:,.0f}".replace(",", ".") if value == int(value) else f"Bs {value:,.2f}"


def facts(guide: dict, asked: list[str]) -> str:
    """Each asked fact of a guide, then its link once."""
    body = "\n\n".join(fact(guide, asks, link=False) for asks in dict.fromkeys(asked))
    if guide.get("in_language") is False:  # no translation of this guide yet: its facts are the original's
        body += "\n\n" + _("Esta guía solo está disponible en español.")
    if guide.get("url"):
        body += "\n" + _("Más información: %(url)s") % {"url": guide["url"]}
    return body


def fact(guide: dict, asks: str, *, link: bool = True) -> str:
    """The asked fact of a guide, as a chat message with its link."""
    title = guide.get("title", "")
    url = guide.get("url", "")
    office = guide.get("office") or {}
    online = guide.get("online") or {}
    if asks == "cost":
        cost = guide.get("cost") or {}
        text = cost.get("text") or _money(cost.get("amount_bs")) or _("sin costo informado")
        body = _("Costo de «%(title)s»: %(cost)s.") % {"title": title, "cost": text.rstrip(".")}
    elif asks == "duration":
        duration = guide.get("duration") or {}
        text = duration.get("text") or (
            _("%(days)s días hábiles") % {"days": duration["business_days"]}
            if duration.get("business_days") is not None
            else _("sin plazo informado")
        )
        body = _("Tiempo de «%(title)s»: %(duration)s.") % {"title": title, "duration": text.rstrip(".")}
    elif asks == "office":
        body = (
            _("«%(title)s» se tramita en %(office)s.") % {"title": title, "office": _office_line(office)}
            if office
            else _("«%(title)s» no tiene una oficina asignada; consulta en la línea gratuita %(phone)s.")
            % {"title": title, "phone": phone()}
        )
    elif asks == "online":
        if online.get("available"):
            online_url = online.get("url") or ""
            body = _("Sí, «%(title)s» se puede hacer en línea") % {"title": title}
            body += f": {online_url}" if online_url else "."
        else:
            body = _("No, «%(title)s» no se puede hacer en línea; debes acudir a %(office)s.") % {
                "title": title,
                "office": _office_line(office) if office else _("la oficina municipal"),
            }
    else:
        requirements = guide.get("requirements") or []
        lines = [f"• {item['text']}" + (f" ({item['note']})" if item.get("note") else "") for item in requirements]
        body = _("Requisitos para «%(title)s»:") % {"title": title}
        body += "\n" + "\n".join(lines) if lines else " " + _("no hay requisitos registrados.")
    if url and link:
        body += "\n" + _("Más información: %(url)s") % {"url": url}
    return body


def _office_line(office: dict) -> str:
    parts = [office.get("name", "")]
    if office.get("address"):
        parts.append(office["address"])
    line = ", ".join(p for p in parts if p)
    if office.get("hours"):
        line += ". " + _("Horario: %(hours)s") % {"hours": office["hours"]}
    if office.get("phone"):
        line += ". " + _("Teléfono: %(phone)s") % {"phone": office["phone"]}
    return line


# --- conversation ----------------------------------------------------------------


def greet() -> str:
    return _(
        "¡Hola! Soy el asistente virtual del municipio. Pregúntame por los requisitos, el costo, el tiempo, "
        "la oficina de un trámite o si se puede hacer en línea."
    )


def thank() -> str:
    return _("¡Con gusto! ¿Te ayudo con otro trámite?")


def goodbye() -> str:
    return _("¡Hasta pronto! Si necesitas algo más, escríbeme cuando quieras.")


def bot_challenge() -> str:
    return _(
        "Soy un asistente virtual (un programa), no una persona. Respondo con la información de las guías "
        "de trámites del portal. Para hablar con una persona, llama gratis al %(phone)s."
    ) % {"phone": phone_with_hours()}


def menu_intro() -> str:
    return _("Estas son las áreas de trámites. Elige una o escribe tu consulta:")


def menu_option(category: str) -> str:
    return _("%(option)s: elige un trámite o escribe tu pregunta.") % {"option": category}


def not_understood() -> str:
    return (
        _("Disculpa, no entendí tu consulta. Elige una opción del menú o escribe el nombre del trámite.")
        + " "
        + _("También puedes llamar gratis al %(phone)s.") % {"phone": phone()}
    )


def empty() -> str:
    return _("Escribe tu pregunta sobre un trámite municipal, o elige una opción del menú.")


def ask_which() -> str:
    return _("¿Sobre qué trámite me consultas? Escribe su nombre o elige una opción del menú.")


def clarify() -> str:
    return _("¿Te refieres a alguno de estos trámites? Elige uno:")


def clarify_none() -> str:
    return _("Entendido. Escribe el nombre del trámite con otras palabras o elige una opción del menú.")


def out_of_scope() -> str:
    return (
        _(
            "Eso no es un trámite de este municipio, así que no tengo una guía para ayudarte. "
            "Los documentos nacionales (carnet de identidad, pasaporte, licencia de conducir) "
            "se tramitan en las entidades del Estado que los emiten."
        )
        + " "
        + _("Para otras consultas, llama gratis al %(phone)s.") % {"phone": phone()}
    )


def text_only() -> str:
    return _(
        "Por ahora solo puedo leer mensajes de texto (y fotos o ubicaciones cuando registras un reclamo). "
        "Escribe tu consulta, por ejemplo: «requisitos de la licencia de funcionamiento»."
    )


# --- complaints ------------------------------------------------------------------


def complaint(data: dict) -> str:
    code = data.get("code") or ""
    status = data.get("status_label") or data.get("status") or ""
    text = _("Tu reclamo %(code)s está en estado: %(status)s.") % {"code": code, "status": status}
    history = data.get("history") or []
    if history and history[-1].get("date"):
        text += " " + _("Última actualización: %(date)s.") % {"date": date_format(history[-1]["date"])}
    if data.get("due_date"):
        text += " " + _("Plazo de respuesta: %(date)s.") % {"date": date_format(data["due_date"])}
    return text


def complaint_not_found(code: str) -> str:
    return _("No encontré un reclamo con el código %(code)s. Revisa el código e intenta de nuevo.") % {"code": code}


def complaint_unavailable() -> str:
    return _("En este momento no puedo consultar el estado de los reclamos. Llama gratis al %(phone)s.") % {
        "phone": phone()
    }


def complaint_too_many() -> str:
    return _("Recibí demasiadas consultas de seguimiento. Espera unos minutos e intenta de nuevo.")


def complaint_ask_code() -> str:
    return _("Para consultar tu reclamo, envíame tu código de seguimiento (por ejemplo, RC-7K4MX-2Q9PA).")
