"""Urgent first: violence, a child in danger, a medical emergency, a disaster, self-harm.

Such a message is recognised before either understanding (Rasa or the
fallback) runs, and answered with the emergency lines and the service that
helps, never with a procedure guide. Recognition is deliberately simple and
conservative: words that only an emergency uses, or a person-harm verb next
to who is harmed, on text folded like WhatsApp writing (no accents, lower case,
common spellings). Nothing here is stored beyond the ordinary chat log.

The lines and services come from settings (``AYNI_EMERGENCY_*``), so each
municipality names its own SLIM, Defensoría and emergency numbers.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _

from cms.selectors import site_contact
from search import analysis

VIOLENCE = "violence"
CHILD = "child"
HEALTH = "health"
DISASTER = "disaster"
SELF_HARM = "self_harm"

_HARM = r"(golpe\w*|pega\w*|pego|peg[oa]ron|maltrat\w*|amenaz\w*|viol[oa]\w*|abus\w*|ahorc\w*|ahorca\w*|lastim\w*)"
_PERSON = (
    r"(esposo|esposa|marido|pareja|novio|novia|ex|concubino|padrastro|madrastra|papa|mama|padre|madre"
    r"|hermano|tio|suegr[oa])"
)
_CHILD = (
    r"(nino|nina|ninos|ninas|wawa|wawas|guagua|guaguas|menor|menores|hijo|hija|hijos|hijas|bebe|bebes|sobrin[oa]s?)"
)

PATTERNS: list[tuple[str, re.Pattern]] = [
    (
        SELF_HARM,
        re.compile(
            r"\b(quiero morir\w*|me quiero (matar|morir)|suicid\w*|quitarme la vida|no quiero (seguir )?vivir"
            r"|matarme)\b"
        ),
    ),
    (
        CHILD,
        re.compile(
            rf"\b{_CHILD}\b[^.?!]{{0,60}}\b({_HARM}|abandonad\w*|perdid[oa]s?|desaparecid[oa]s?|explot\w*)"
            rf"|\b({_HARM}|abandon\w*|explot\w*)\b[^.?!]{{0,40}}\b(a )?(mi |mis |un |una |los |las |el |la )?{_CHILD}\b"
            r"|\btrabajo infantil\b"
        ),
    ),
    (
        VIOLENCE,
        re.compile(
            rf"\b(me|nos|la|lo|le|les)\s+{_HARM}"
            rf"|\bmi {_PERSON}\b[^.?!]{{0,40}}\b{_HARM}"
            r"|\b(violencia|maltrato|agresion|violacion|feminicidio|acoso sexual)\b"
        ),
    ),
    (
        HEALTH,
        re.compile(
            r"\b(ambulancia|infarto|no respira|inconsciente|desmay\w*|convulsion\w*|hemorragia|sangra mucho"
            r"|envenen\w*|intoxicad[oa]s?|emergencia medica|se esta muriendo|esta herid[oa]|hay herid[oa]s)\b"
        ),
    ),
    (
        DISASTER,
        re.compile(
            r"\b(incendio|se esta quemando|se quema (la|mi|una|el)|inundacion|se (esta )?inundando|derrumbe"
            r"|mazamorra|deslizamiento|terremoto|sismo|explosion|fuga de gas|olor a gas)\b"
        ),
    ),
]


def fold(text: str) -> str:
    """Accents and case folded like search does; punctuation other than sentence ends becomes space."""
    return " ".join(re.sub(r"[^\w.?!]+", " ", analysis.fold(text)).split())


# Procedures whose names hold an emergency word ("certificado de no violencia").
_PROCEDURE_NAMES = re.compile(r"\b(certificado|certificacion|antecedentes)( de)?( no| antecedentes de)? violencia\b")


def detect(text: str) -> str | None:
    """The kind of emergency the message speaks of, or None."""
    folded = _PROCEDURE_NAMES.sub(" ", fold(text or ""))
    for kind, pattern in PATTERNS:
        if pattern.search(folded):
            return kind
    return None


def _lines() -> str:
    return _("Policía: %(police)s · Ambulancia: %(ambulance)s · Bomberos: %(fire)s") % {
        "police": settings.AYNI_EMERGENCY_POLICE,
        "ambulance": settings.AYNI_EMERGENCY_AMBULANCE,
        "fire": settings.AYNI_EMERGENCY_FIRE,
    }


def reply_text(kind: str) -> str:
    phone = site_contact().phone
    if kind == VIOLENCE:
        body = _(
            "Lo que cuentas es grave y no estás sola ni solo. Si estás en peligro ahora, llama al %(police)s "
            "(Policía). El %(slim)s te da orientación legal, psicológica y social gratuita y reservada; "
            "también puedes denunciar en la FELCV (Fuerza Especial de Lucha Contra la Violencia)."
        ) % {"police": settings.AYNI_EMERGENCY_POLICE, "slim": settings.AYNI_EMERGENCY_SLIM}
    elif kind == CHILD:
        body = _(
            "Si una niña, niño o adolescente está en peligro ahora, llama al %(police)s (Policía). La %(dna)s "
            "protege a niñas, niños y adolescentes y atiende estos casos de forma gratuita."
        ) % {"police": settings.AYNI_EMERGENCY_POLICE, "dna": settings.AYNI_EMERGENCY_DNA}
    elif kind == HEALTH:
        body = _(
            "Si es una emergencia médica, llama ahora al %(ambulance)s (ambulancia) o ve a la emergencia del "
            "hospital más cercano."
        ) % {"ambulance": settings.AYNI_EMERGENCY_AMBULANCE}
    elif kind == DISASTER:
        body = _(
            "Si hay peligro ahora, aléjate del lugar y llama al %(fire)s (Bomberos) o al %(police)s (Policía). "
            "Para riesgos en tu barrio también puedes avisar a la línea municipal %(phone)s."
        ) % {"fire": settings.AYNI_EMERGENCY_FIRE, "police": settings.AYNI_EMERGENCY_POLICE, "phone": phone}
    else:  # SELF_HARM
        body = _(
            "Gracias por escribir. Lo que sientes importa y hay quien puede ayudarte ahora: llama al %(ambulance)s "
            "o ve a la emergencia del hospital más cercano, y busca a alguien de confianza para que te acompañe."
        ) % {"ambulance": settings.AYNI_EMERGENCY_AMBULANCE}
    return f"{body}\n\n{_lines()}"


def urgent_answer(text: str) -> dict | None:
    """The answer to an urgent message (same shape as the engines' answers), or None."""
    kind = detect(text)
    if kind is None:
        return None
    return {
        "replies": [{"text": reply_text(kind), "buttons": []}],
        "intent": f"urgent_{kind}",
        "confidence": 1.0,
        "guide": None,
        "answered": True,
    }
