from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ayni.clients import client_key
from cms.forms import FeedbackForm
from cms.models import GuidePage
from cms.selectors import site_contact
from cms.services import RateLimited, feedback_submit


# Guide pages are served from the anonymous page cache, so they carry no CSRF
# token. The form changes nothing on anyone's behalf (no session is used) and
# is rate-limited per client, which is what CSRF would otherwise protect.
@csrf_exempt
@require_POST
def guide_feedback(request, page_id: int):
    page = get_object_or_404(GuidePage.objects.live().public(), pk=page_id)
    # The form posts to one address for every language: answer in the guide's own
    # (its errors, header and links in English for an English guide).
    with translation.override(page.locale.language_code):
        return _guide_feedback_answer(request, page)


def _guide_feedback_answer(request, page: GuidePage):
    form = FeedbackForm(request.POST)
    status = 400
    if form.is_valid():
        client = client_key(request)
        try:
            feedback_submit(
                page=page, helpful=form.cleaned_data["helpful"], comment=form.cleaned_data["comment"], client=client
            )
        except RateLimited:
            form.add_error(None, _("Recibimos demasiadas opiniones desde tu conexión. Intenta de nuevo más tarde."))
            status = 429
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(f"{page.url}?opinion=gracias#opinion")
    response = TemplateResponse(request, "cms/feedback_error.html", {"page": page, "form": form}, status=status)
    response.render()  # now, while the guide's language is active
    response["Content-Language"] = page.locale.language_code
    return response


@require_GET
@cache_control(max_age=86400, public=True)
def web_manifest(request):
    """A minimal web app manifest (the municipality's name from the portal settings, icons from the static files)."""
    contact = site_contact(request)
    data = {
        "name": contact.name,
        "short_name": (contact.short_name or contact.name)[:12],
        "lang": get_language() or settings.LANGUAGE_CODE,
        "start_url": "/",
        "scope": "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": "#073763",
        "icons": [
            {"src": static("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
