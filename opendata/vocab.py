"""Controlled vocabularies: licences, update frequencies, themes, formats.

Each entry maps the portal's value to the URIs DCAT-AP expects and to the
identifiers CKAN uses, so the metadata, the exports and the bridge agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

EU = "http://publications.europa.eu/resource/authority"


@dataclass(frozen=True)
class Licence:
    code: str
    label: str
    url: str
    ckan_id: str
    eu_uri: str  # the EU "licence" authority table (DCAT-AP dct:license)


LICENCES = {
    licence.code: licence
    for licence in [
        Licence(
            "CC-BY-4.0",
            "Creative Commons Atribución 4.0",
            "https://creativecommons.org/licenses/by/4.0/",
            "cc-by",
            f"{EU}/licence/CC_BY_4_0",
        ),
        Licence(
            "CC-BY-SA-4.0",
            "Creative Commons Atribución-CompartirIgual 4.0",
            "https://creativecommons.org/licenses/by-sa/4.0/",
            "cc-by-sa",
            f"{EU}/licence/CC_BYSA_4_0",
        ),
        Licence(
            "CC0-1.0",
            "Creative Commons CC0 1.0 (dominio público)",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "cc-zero",
            f"{EU}/licence/CC0",
        ),
        Licence(
            "ODbL-1.0",
            "Open Database License 1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/",
            "odc-odbl",
            f"{EU}/licence/ODC_BL",
        ),
    ]
}
LICENCE_CHOICES = [(code, licence.label) for code, licence in LICENCES.items()]
DEFAULT_LICENCE = "CC-BY-4.0"
CKAN_LICENCES = {licence.ckan_id: code for code, licence in LICENCES.items()}

# EU "frequency" authority table (DCAT-AP dct:accrualPeriodicity).
FREQUENCY_CHOICES = [
    ("irregular", _("Irregular")),
    ("never", _("No se actualiza")),
    ("daily", _("Diaria")),
    ("weekly", _("Semanal")),
    ("monthly", _("Mensual")),
    ("quarterly", _("Trimestral")),
    ("annual", _("Anual")),
]
FREQUENCY_URIS = {
    "irregular": f"{EU}/frequency/IRREG",
    "never": f"{EU}/frequency/NEVER",
    "daily": f"{EU}/frequency/DAILY",
    "weekly": f"{EU}/frequency/WEEKLY",
    "monthly": f"{EU}/frequency/MONTHLY",
    "quarterly": f"{EU}/frequency/QUARTERLY",
    "annual": f"{EU}/frequency/ANNUAL",
}

# EU "data-theme" authority table (DCAT-AP dcat:theme).
THEME_CHOICES = [
    ("GOVE", _("Gobierno y sector público")),
    ("HEAL", _("Salud")),
    ("SOCI", _("Población y sociedad")),
    ("REGI", _("Regiones y ciudades")),
    ("ECON", _("Economía y finanzas")),
    ("EDUC", _("Educación, cultura y deporte")),
    ("ENVI", _("Medio ambiente")),
    ("TRAN", _("Transporte")),
    ("JUST", _("Justicia y seguridad")),
    ("TECH", _("Ciencia y tecnología")),
]
THEME_URIS = {code: f"{EU}/data-theme/{code}" for code, _label in THEME_CHOICES}
THEME_SCHEME = f"{EU}/data-theme"
FREQUENCY_SCHEME = f"{EU}/frequency"
# The portal publishes in Spanish (EU "language" authority table).
LANGUAGE_URI = f"{EU}/language/SPA"
# ADMS publisher type: a municipal government is a local authority.
PUBLISHER_TYPE_URI = "http://purl.org/adms/publishertype/LocalAuthority"


def by_uri(uris: dict[str, str], value: str) -> str | None:
    """The portal's code for ``value``, given as the code itself or as its URI (None if unknown)."""
    if value in uris:
        return value
    return next((code for code, uri in uris.items() if uri == value), None)


@dataclass(frozen=True)
class Format:
    extension: str
    label: str
    media_type: str
    eu_uri: str


FORMATS = {
    "csv": Format("csv", "CSV", "text/csv", f"{EU}/file-type/CSV"),
    "json": Format("json", "JSON", "application/json", f"{EU}/file-type/JSON"),
    "xlsx": Format(
        "xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{EU}/file-type/XLSX"
    ),
}
EXPORT_FORMATS = list(FORMATS)
