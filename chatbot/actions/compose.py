"""What the bot says, composed from a guide's typed facts (the guide API's JSON).

Pure Python with no Django or Rasa import: the action server (Rasa's Python
3.10 venv) and the portal's fallback answerer (Django) share it, so both
channels word an answer the same way. Under Django the strings go through
gettext; in the action server they are used as written (Spanish).
"""

from __future__ import annotations

import re
import unicodedata

try:  # Under Django (portal side) the text is translatable.
    from django.conf import settings as _settings

    if not _settings.configured:  # pragma: no cover - the action server
        raise ImportError
    from django.utils.translation import gettext as _
except ImportError:  # pragma: no cover - the action server has no Django

    def _(message: str) -> str:
        return message


ASKS = ("requirements", "cost", "duration", "office", "online")
ASK_INTENTS = {f"ask_{asks}": asks for asks in ASKS}

# The contact center's four options. Each maps to guide category slugs;
# ``None`` means "every other category".
MENU_OPTIONS: list[tuple[str, str, list[str] | None]] = [
    ("territorio", "Trámites territoriales y catastrales", ["territorio-y-catastro"]),
    ("impuestos", "Impuestos", ["tributos"]),
    ("actividades", "Actividades económicas", ["actividades-economicas"]),
    ("otros", "Otros servicios", None),
]


def menu_title(key: str) -> str:
    titles = {
        "territorio": _("Trámites territoriales y catastrales"),
        "impuestos": _("Impuestos"),
        "actividades": _("Actividades económicas"),
        "otros": _("Otros servicios"),
    }
    return titles.get(key, key)


def menu_buttons() -> list[dict]:
    return [
        {"title": menu_title(key), "payload": f'/menu_option{{"menu_category": "{key}"}}'}
        for key, _t, _c in MENU_OPTIONS
    ]


def guide_button(guide: dict, asks: str = "requirements") -> dict:
    return {"title": guide["title"], "payload": f'/ask_{asks}{{"procedure": "{guide["slug"]}"}}'}


# --- text normalisation ------------------------------------------------------

ABBREVIATIONS = {
    "q": "que",
    "kiero": "quiero",
    "qiero": "quiero",
    "kisiera": "quisiera",
    "k": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "pa": "para",
    "pra": "para",
    "x": "por",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "d": "de",
    "dnd": "donde",
    "cn": "con",
    "sta": "esta",
    "toy": "estoy",
    "nesecito": "necesito",
    "nececito": "necesito",
    "necesito": "necesito",
    "ncesito": "necesito",
    "cuesta": "cuesta",
    "cuanto": "cuanto",
    "kuanto": "cuanto",
    "cuant": "cuanto",
    "cto": "cuanto",
    "info": "informacion",
    "porfa": "por favor",
    "xfa": "por favor",
    "plis": "por favor",
    "pls": "por favor",
    "hr": "hora",
    "hrs": "horas",
    "min": "minutos",
    "bs": "bolivianos",
    "doc": "documento",
    "docs": "documentos",
    "tramit": "tramite",
}

_WORD = re.compile(r"[a-z0-9ñ]+")


def strip_accents(text: str) -> str:
    """Lowercase and fold accents (keeps ñ as n, like most WhatsApp typing)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Normalised words: lowercase, no accents, common chat abbreviations expanded."""
    out: list[str] = []
    for word in _WORD.findall(strip_accents(text)):
        out.extend(ABBREVIATIONS.get(word, word).split())
    return out


def normalize(text: str) -> str:
    return " ".join(words(text))


# Words that say *which fact* is asked, checked on normalised text. Order matters:
# the first kind whose pattern matches wins, so "cuanto cuesta en linea" is cost.
ASKS_PATTERNS: list[tuple[str, re.Pattern]] = [
    (
        "cost",
        re.compile(
            r"\b(cuanto (cuesta|vale|sale|cobran|es|hay que pagar|pago|se paga|debo pagar|tengo que pagar)|"
            r"cuesta|costo|costos|costar|cobran|cobra|precio|valor|tarifa|arancel|gratis|gratuito|monto|"
            r"cuanta plata|cuanto dinero|cuanto me sale|cuanto es)\b"
        ),
    ),
    (
        "duration",
        re.compile(
            r"\b(cuanto (tiempo|tarda|demora|dura|se tarda|se demora)|cuantos dias|tarda|tardan|demora|demoran|"
            r"plazo|duracion|dias habiles|en cuanto tiempo|cuando (me lo )?(entregan|dan|sale)|rapido|que tan rapido)\b"
        ),
    ),
    (
        "online",
        re.compile(
            r"\b(en linea|por internet|internet|online|on line|virtual|virtualmente|por la web|pagina web|web|"
            r"desde (mi )?casa|sin ir|digital|por el celular|desde el celular|plataforma)\b"
        ),
    ),
    (
        "office",
        re.compile(
            r"\b(donde|adonde|a donde|oficina|oficinas|direccion|horario|horarios|hora|horas|atienden|atencion|"
            r"ubicacion|ubicado|queda|quedan|ventanilla|a que lugar|que lugar|lugar|"
            r"en que (hospital|hospitales|oficina|oficinas|sitio|zona|parte|ventanilla))\b"
        ),
    ),
    (
        "requirements",
        re.compile(
            r"\b(requisito|requisitos|necesito|necesita|necesitan|documentos|documento|papeles|papel|"
            r"presentar|piden|pide|llevar|que hago|como hago|como|tramitar|sacar|quiero|debo|tengo que|hacer)\b"
        ),
    ),
]


def detect_asks(text: str) -> str | None:
    """Which fact a message asks for, from its wording (None if it does not say)."""
    norm = normalize(text)
    for asks, pattern in ASKS_PATTERNS:
        if pattern.search(norm):
            return asks
    return None


# Words that never identify a procedure: dropped before searching for a guide.
STOPWORDS = set(
    """
    a al algo alguien algun alguna alguno algunos ante antes aqui asi aun bien buenas buenos cada como con contra cual
    cuales cuando cuanto cuanta cuantos cuantas de del desde donde dos e el ella ellos en entre era es esa ese eso esta
    estan este esto estoy favor fue ha hay hola la las le les lo los mas me mi mis mucho muy nada ni no nos o otra otro
    para pero poco por porque puedo puede pueden que quien se ser si sin sobre su sus tambien te tengo tiene tienen
    toda todo tu tus un una uno unos unas usted y ya yo hacer hago hace quiero quisiera queria necesito necesita
    necesitan saber decir dime digame informacion ayuda ayudar ayudame ayudeme consulta pregunta tramite tramites
    requisito requisitos documento documentos papeles papel presentar piden pide llevar debo tengo cuesta costo
    costos precio valor cobran vale sale tarda tardan demora demoran tiempo dias dia plazo oficina oficinas direccion
    horario horarios hora horas atienden atencion lugar queda internet linea online virtual web pagina sacar
    obtener conseguir realizar tramitar gestionar pagar paga pago cobra gratis gratuito ok oye disculpe disculpa
    senor senora buen dias tardes noches gracias porfa plis entonces osea pues ahi alla eh ah y/o mismo misma
    va voy vas van vamos ir iba ser estar son soy fui da dan doy dar tener tienes tenemos haber han he hemos
    sea esto eso aquello asi alguna ahora hoy manana ayer siempre nunca cosa cosas algo nomas nomás solo bueno
    ok okey listo si claro mal bien
    hello hi hey how much what where when the do does is are for my to of in and please thanks need want can i you
    """.split()
)


def content_words(text: str) -> list[str]:
    """The words of a message that may name a procedure (also drops inflections of stop words)."""
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1 and not _inflected_stopword(w)]


def _inflected_stopword(word: str) -> bool:
    for suffix in ("amos", "emos", "imos", "aron", "ieron", "an", "en", "as", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            root = word[: -len(suffix)]
            if any(root + ending in STOPWORDS for ending in ("o", "a", "e", "ar", "er", "ir", "")):
                return True
    return False


# --- composing answers --------------------------------------------------------


def _money(amount) -> str:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return ""
    return f"Bs {value:,.0f}".replace(",", ".") if value == int(value) else f"Bs {value:,.2f}"


def compose_fact(guide: dict, asks: str) -> str:
    """The asked fact of a guide (API JSON), as a chat message with its link."""
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
            else _("«%(title)s» no tiene una oficina asignada; consulte en la línea gratuita.") % {"title": title}
        )
    elif asks == "online":
        if online.get("available"):
            link = online.get("url") or ""
            body = _("Sí, «%(title)s» se puede hacer en línea") % {"title": title}
            body += f": {link}" if link else "."
        else:
            body = _("No, «%(title)s» no se puede hacer en línea; debe acudir a %(office)s.") % {
                "title": title,
                "office": _office_line(office) if office else _("la oficina municipal"),
            }
    else:
        requirements = guide.get("requirements") or []
        lines = [f"• {item['text']}" + (f" ({item['note']})" if item.get("note") else "") for item in requirements]
        body = _("Requisitos para «%(title)s»:") % {"title": title}
        body += "\n" + "\n".join(lines) if lines else " " + _("no hay requisitos registrados.")
    if url:
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


def compose_not_understood(phone: str) -> str:
    return (
        _("Disculpe, no entendí su consulta. Elija una opción del menú o escriba el nombre del trámite.")
        + " "
        + _("También puede llamar gratis al %(phone)s.") % {"phone": phone}
    )


def compose_ask_which(phone: str) -> str:
    return _("¿Sobre qué trámite me consulta? Escriba su nombre o elija una opción del menú.")


def compose_menu_intro() -> str:
    return _("Estas son las opciones de atención. Elija una o escriba su consulta:")


def compose_complaint(data: dict) -> str:
    code = data.get("code") or data.get("tracking_code") or ""
    status = data.get("status_display") or data.get("status_label") or data.get("status") or ""
    text = _("Su reclamo %(code)s está en estado: %(status)s.") % {"code": code, "status": status}
    updated = data.get("updated_at") or data.get("status_changed_at")
    if updated:
        text += " " + _("Última actualización: %(date)s.") % {"date": str(updated)[:10]}
    return text


def compose_complaint_not_found(code: str) -> str:
    return _("No encontré un reclamo con el código %(code)s. Revise el código e intente de nuevo.") % {"code": code}


def compose_complaint_unavailable(phone: str) -> str:
    return _("En este momento no puedo consultar el estado de los reclamos. Llame gratis al %(phone)s.") % {
        "phone": phone
    }


def compose_guides_unavailable(phone: str) -> str:
    return _("En este momento no puedo consultar las guías de trámites. Llame gratis al %(phone)s.") % {"phone": phone}


def compose_complaint_too_many() -> str:
    return _("Recibí demasiadas consultas de seguimiento. Espere unos minutos e intente de nuevo.")


def compose_complaint_ask_code() -> str:
    return _("Para consultar su reclamo, envíeme su código de seguimiento (por ejemplo, RC-7K4MX-2Q9PA).")


# A tracking code: letters, digits and dashes with at least one digit and one letter.
TRACKING_CODE = re.compile(
    r"\b(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]{2,6}(?:-[A-Za-z0-9]{2,10}){1,3}\b"
)


# The portal's own format (participation.codes): RC-7K4MX-2Q9PA, typed in any case, with or without dashes.
PORTAL_CODE = re.compile(r"\b(RC|DN|SG)[-\s.]?([A-Z0-9]{5})[-\s.]?([A-Z0-9]{5})\b", re.IGNORECASE)


def find_tracking_code(text: str) -> str | None:
    match = PORTAL_CODE.search(text or "")
    if match:
        return "-".join(part.upper() for part in match.groups())
    match = TRACKING_CODE.search(text or "")
    return match.group(0).upper() if match else None
