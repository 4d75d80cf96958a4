from django.conf import settings


def portal(request) -> dict:
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "municipality_phone": settings.AYNI_MUNICIPALITY_PHONE,
        "interface_languages": settings.INTERFACE_LANGUAGES,
    }
