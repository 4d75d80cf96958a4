"""What a message means: intent, the fact asked for, entities, confidence.

Two understandings produce the same :class:`Understanding`:

- **Rasa** (``rasa_understand``): the NLU model served by the Rasa server,
  called on ``/model/parse``. Rasa does language understanding only; it never
  answers and never calls the portal back.
- **The built-in fallback** (``fallback_understand``): rules over the shared
  chat text analysis (``search.analysis``), used when Rasa is off, down, slow
  or has no model loaded yet.

Which guide a question is about is decided afterwards, the same way for both
(``chatbot.dialogue`` with ``chatbot.resolver``); a ``procedure`` entity that
Rasa found, or a button's payload, names a guide directly.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

from chatbot import rasa_client
from search.analysis import ENGLISH_STOP_WORDS, STOP_WORDS, chat_normalize, chat_words

logger = logging.getLogger(__name__)

ASK_INTENTS = {f"ask_{asks}": asks for asks in ("requirements", "cost", "duration", "office", "online")}
SMALL_TALK = ("greet", "thank", "goodbye", "bot_challenge", "menu")
# Intents of the Rasa model below this confidence count as not understood.
RASA_MIN_CONFIDENCE = 0.4


@dataclass
class Understanding:
    intent: str  # ask_*, greet, thank, goodbye, bot_challenge, menu, menu_option, complaint_status,
    # out_of_scope, choose, nlu_fallback
    engine: str  # "rasa" | "fallback"
    confidence: float | None = None
    asks: str | None = None  # requirements | cost | duration | office | online, when the words say so
    procedure: str | None = None  # a guide slug named by an entity or a button
    procedures: list[str] = field(default_factory=list)  # every slug Rasa's entities named (longest first)
    code: str | None = None  # a complaint tracking code
    category: str | None = None  # a menu option's category slug
    choice: int | None = None  # "2", "la segunda": an option of the last clarifying question (1-based)
    from_button: bool = False


# --- shared rules ------------------------------------------------------------------

_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]{1,40})(?P<entities>\{.{0,500}\})?$", re.S)

SMALL_TALK_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("thank", re.compile(r"\b(gracias|grax|grcias|agradezco|muy amable|thanks|thank you|dios le pague|yusulpayki)\b")),
    (
        "goodbye",
        re.compile(
            r"\b(chau|chao|chaito|adios|hasta luego|hasta lueguito|hasta pronto|hasta manana|bye|nos vemos|"
            r"goodbye|good bye|see you)\b"
        ),
    ),
    (
        "bot_challenge",
        re.compile(
            r"\b(bot|robot|humano|maquina|inteligencia artificial|eres una persona|con quien hablo|"
            r"are you (a )?(human|person|real|machine)|who am i (talking|speaking) (to|with))\b"
        ),
    ),
    ("menu", re.compile(r"^(menu|menu principal|opciones|ayuda|inicio|volver|ver menu|help|main menu|options|start)$")),
    (
        "greet",
        re.compile(
            r"^(hola+|ola|buenas|buenos dias|buen dia|buenas tardes|buenas noches|saludos|hey|hi|hello|alo|"
            r"good morning|good afternoon|good evening|"
            r"kamisaki|kamisaraki|allillanchu|napaykullayki)\b"
        ),
    ),
]
# Following a case already filed: "seguimiento", "mi reclamo", "como va mi denuncia", or a short
# message that is only about complaints ("reclamos"). "donde reclamo por el poste" is a question
# about where to file one, and "mi caso es este: ..." is the start of a story: both go on to the guides.
COMPLAINT_WORDS = re.compile(
    r"\b(seguimiento|codigo de seguimiento|(mi|mis|el|la) (reclamo|reclamos|denuncia|denuncias|queja|quejas)|"
    r"(estado|como va|que paso con|como esta) (de )?(mi|el|la) (caso|tramite)|"
    r"my (complaint|complaints|report|case)|track(ing)? (my |a )?(complaint|report|case)|tracking code|"
    r"status of (my|the) (complaint|report|case))\b"
)
COMPLAINT_ONLY = re.compile(r"^(ver |consultar |revisar )?(reclamo|reclamos|denuncia|denuncias|queja|quejas|mi caso)$")

# Words that say *which fact* is asked, on chat-normalised text. The first kind
# whose pattern matches wins, so "cuanto cuesta en linea" is cost.
ASKS_PATTERNS: list[tuple[str, re.Pattern]] = [
    (
        "cost",
        re.compile(
            r"\b(cuanto (cuesta|cuestan|vale|valen|sale|salen|cobran|es|hay que pagar|pago|se paga|debo pagar|"
            r"tengo que pagar|me van a cobrar|me cobran|me cobrarian)|"
            r"cuesta|costo|costos|costar|cobran|cobra|precio|valor|tarifa|arancel|gratis|gratuito|monto|"
            r"cuanta plata|cuanto dinero|cuanto me sale|cuanto es|cuanto pago|cuanto se paga|qullqi|qolqe|"
            r"cuanto (me )?(va a salir|saldria|seria|costaria|cobrarian)|(se paga|hay que pagar|cobran|pagar) algo|"
            r"tiene (algun )?costo|es caro|sale caro|es barato|cuanto questa|cuanto (me |nos )?toca pagar|"
            # English (the chat also answers visitors who write in English)
            r"how much|cost|costs|fee|fees|price|charge|charges|free|free of charge)\b"
        ),
    ),
    (
        "duration",
        re.compile(
            r"\b(cuanto (tiempo|tarda|demora|dura|se tarda|se demora)|cuantos dias|tarda|tardan|demora|demoran|"
            r"plazo|duracion|dias habiles|en cuanto tiempo|"
            r"cuando (me lo |me la )?(entregan|dan|sale|estaria|esta listo)|"
            r"rapido|que tan rapido|para cuando|hasta cuando|cuantas semanas|cuantos meses|en cuantos dias|"
            r"how long|how many (days|weeks|months)|how soon|does it take|processing time|when will i get)\b"
        ),
    ),
    (
        "online",
        re.compile(
            r"\b(en linea|por internet|internet|online|on line|virtual|virtualmente|por la web|pagina web|web|"
            r"desde (mi )?casa|sin ir|digital|(por|desde|con|en) (el|mi) (celular|celu|cel|telefono)|por celular|"
            r"plataforma|(por|en|desde) (la|una) (app|aplicacion|pagina)|por (whatsapp|correo|email|mail)|"
            r"sin salir|a distancia|remoto|remotamente|escanead\w*|sin hacer fila|sin hacer cola|"
            r"website|web site|from home)\b"
        ),
    ),
    (
        "office",
        re.compile(
            r"\b(donde|adonde|a donde|oficina|oficinas|direccion|horario|horarios|hora|horas|atienden|atencion|"
            r"ubicacion|ubicado|queda|quedan|ventanilla|a que lugar|que lugar|lugar|"
            r"(en|a) que (hospital|hospitales|oficina|oficinas|sitio|zona|parte|ventanilla|lugar|subalcaldia)|"
            r"a quien (acudo|busco|recurro|voy|llamo|aviso|le aviso|reporto|le digo|le llamo)|donde me atienden|"
            r"(a|en) que deposito|"
            r"where|office|offices|office hours|opening hours|hours|address|located|location)\b"
        ),
    ),
    (
        "requirements",
        re.compile(
            r"\b(requisito|requisitos|necesito|necesita|necesitan|documentos|documento|papeles|papel|"
            r"presentar|piden|pide|llevar|que hago|como hago|como|tramitar|sacar|quiero|debo|tengo que|hacer|"
            r"requirements|requirement|documents|papers|need|bring|how do i|how can i|apply)\b"
        ),
    ),
]

_ORDINALS = {
    "1": 1, "uno": 1, "primero": 1, "primera": 1, "el primero": 1, "la primera": 1,
    "2": 2, "dos": 2, "segundo": 2, "segunda": 2, "el segundo": 2, "la segunda": 2,
    "3": 3, "tres": 3, "tercero": 3, "tercera": 3, "el tercero": 3, "la tercera": 3,
}  # fmt: skip
NONE_OF_THESE = re.compile(r"^(ninguno|ninguna|ninguno de esos|ninguna de esas|otro|otra|no es ninguno)$")

# A tracking code: the portal's format (participation.codes), typed in any case,
# with or without dashes; else anything code-like with digits, letters and dashes.
PORTAL_CODE = re.compile(r"\b(RC|DN|SG)[-\s.]?([A-Z0-9]{5})[-\s.]?([A-Z0-9]{5})\b", re.IGNORECASE)
TRACKING_CODE = re.compile(
    r"\b(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]{2,6}(?:-[A-Za-z0-9]{2,10}){1,3}\b"
)


# Telling an English message from a Spanish one: words only one of the two languages uses
# (stop words and what residents and visitors write most), each side's shared words left out.
_ENGLISH_MARKERS = ENGLISH_STOP_WORDS | frozenset(
    "hello hi thanks thank please bye goodbye need want get can will much many long cost fee pay office "
    "licence license permit certificate tax yes hours open opening apply renew report".split()
)
_SPANISH_MARKERS = STOP_WORDS | frozenset(
    "hola gracias quiero necesito cuanto cuesta donde como tramite tramitar requisitos buenas buenos dias "
    "sacar hacer puedo tengo licencia permiso certificado pagar oficina costo renovar reclamo por favor".split()
)
ENGLISH_ONLY = _ENGLISH_MARKERS - _SPANISH_MARKERS
SPANISH_ONLY = _SPANISH_MARKERS - _ENGLISH_MARKERS


def message_language(text: str, *, at_least: int = 1) -> str | None:
    """The message's language, "en" or "es", when at least ``at_least`` of its words say so and
    more of them than of the other's; None when they do not ("2", "ok", a guide's name alone)."""
    said = chat_words(text)
    english = sum(word in ENGLISH_ONLY for word in said)
    spanish = sum(word in SPANISH_ONLY for word in said)
    if english > spanish and english >= at_least:
        return "en"
    if spanish > english and spanish >= at_least:
        return "es"
    return None


def find_tracking_code(text: str) -> str | None:
    match = PORTAL_CODE.search(text or "")
    if match:
        return "-".join(part.upper() for part in match.groups())
    match = TRACKING_CODE.search(text or "")
    return match.group(0).upper() if match else None


def detect_asks(text: str) -> str | None:
    """Which fact a message asks for, from its wording (None if it does not say)."""
    norm = chat_normalize(text)
    for asks, pattern in ASKS_PATTERNS:
        if pattern.search(norm):
            return asks
    return None


# A second fact asked in the same message ("donde es y que llevo?") is answered too when
# it is said in so many words; the weak requirement words ("quiero", "como") never count.
SECOND_ASKS: dict[str, re.Pattern] = {
    **{asks: pattern for asks, pattern in ASKS_PATTERNS if asks != "requirements"},
    "requirements": re.compile(
        r"\b(requisito|requisitos|papeles|papel|documentos|documento|que llevo|que tengo que llevar|"
        r"hay que llevar|que (me )?piden|que (me )?van a pedir|presentar|"
        r"requirements|documents|papers|what do i need|bring)\b"
    ),
}


def second_asks(text: str, first: str) -> list[str]:
    """Other facts the message asks for besides ``first`` (at most one)."""
    norm = chat_normalize(text)
    return [asks for asks, pattern in SECOND_ASKS.items() if asks != first and pattern.search(norm)][:1]


def small_talk(text: str) -> str | None:
    norm = chat_normalize(text)
    for intent, pattern in SMALL_TALK_PATTERNS:
        if pattern.search(norm):
            return intent
    return None


def parse_payload(text: str) -> Understanding | None:
    """A button's payload (``/ask_cost{"procedure": "slug"}``), read by the portal; None for typed text."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return None
    try:
        entities = json.loads(match.group("entities")) if match.group("entities") else {}
    except ValueError:
        entities = {}
    if not isinstance(entities, dict):
        entities = {}
    intent = match.group("intent")
    procedure = entities.get("procedure")
    category = entities.get("menu_category")
    return Understanding(
        intent=intent
        if intent in {*ASK_INTENTS, *SMALL_TALK, "menu_option", "none_of_these", "report_problem"}
        else "nlu_fallback",
        engine="button",
        confidence=1.0,
        asks=ASK_INTENTS.get(intent),
        procedure=str(procedure)[:255] if isinstance(procedure, str) and procedure else None,
        category=str(category)[:100] if isinstance(category, str) and category else None,
        from_button=True,
    )


def choice_of(text: str) -> int | None:
    """The option a short reply picks ("2", "la segunda"), or 0 for "ninguno"; None otherwise."""
    norm = chat_normalize(text)
    if norm in _ORDINALS:
        return _ORDINALS[norm]
    if NONE_OF_THESE.match(norm):
        return 0
    return None


# --- the two understandings --------------------------------------------------------


def fallback_understand(text: str) -> Understanding:
    """The built-in understanding: rules over the shared text analysis."""
    code = find_tracking_code(text)
    norm = chat_normalize(text)
    if code or COMPLAINT_WORDS.search(norm) or COMPLAINT_ONLY.match(norm):
        return Understanding(intent="complaint_status", engine="fallback", code=code)
    asks = detect_asks(text)
    talk = small_talk(text)
    intent = f"ask_{asks}" if asks else (talk or "nlu_fallback")
    return Understanding(intent=intent, engine="fallback", asks=asks, choice=choice_of(text))


def rasa_understand(text: str) -> Understanding:
    """Rasa's NLU parse of ``text``; raises ``rasa_client.RasaUnavailable`` when it cannot answer."""
    parsed = rasa_client.parse(text=text)
    intent_data = parsed.get("intent") or {}
    intent = str(intent_data.get("name") or "nlu_fallback")
    confidence = intent_data.get("confidence")
    confidence = float(confidence) if isinstance(confidence, int | float) else None
    if confidence is not None and confidence < RASA_MIN_CONFIDENCE:
        intent = "nlu_fallback"
    procedures: list[tuple[int, str]] = []
    code = None
    for entity in parsed.get("entities") or []:
        if not isinstance(entity, dict):
            continue
        value = entity.get("value")
        if entity.get("entity") == "procedure" and isinstance(value, str):
            length = int(entity.get("end", 0) or 0) - int(entity.get("start", 0) or 0)
            procedures.append((length, value))
        elif entity.get("entity") == "tracking_code" and isinstance(value, str):
            code = find_tracking_code(value)
    procedures.sort(key=lambda item: -item[0])
    slugs = list(dict.fromkeys(value for _length, value in procedures))
    code = code or find_tracking_code(text)
    norm = chat_normalize(text)
    # Rasa's two intents that take the conversation elsewhere are kept only when the words agree:
    # following a case needs a code or the words for it, and a message that asks a question
    # ("construi sin planos, q me piden?") is a question about a guide, not a report being made.
    if intent == "complaint_status" and not code and not (COMPLAINT_WORDS.search(norm) or COMPLAINT_ONLY.match(norm)):
        intent = "nlu_fallback"
    if intent == "report_problem" and detect_asks(text):
        intent = "nlu_fallback"
    asks = ASK_INTENTS.get(intent)
    if asks is None and intent not in {"out_of_scope", *SMALL_TALK, "complaint_status"}:
        asks = detect_asks(text)  # "nlu_fallback" with words that say what is asked
    if code and intent != "complaint_status":
        intent = "complaint_status"
    return Understanding(
        intent=intent,
        engine="rasa",
        confidence=confidence,
        asks=asks,
        procedure=slugs[0] if slugs else None,
        procedures=slugs,
        code=code,
        choice=choice_of(text),
    )
