from django.conf import settings

from cms.selectors import site_contact


def portal(request) -> dict:
    contact = site_contact(request)
    return {
        "site_contact": contact,
        "site_name": contact.name,
        "municipality_phone": contact.phone,
        "interface_languages": settings.INTERFACE_LANGUAGES,
    }
