from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ayni.clients import client_key
from cms.forms import FeedbackForm
from cms.models import GuidePage
from cms.services import RateLimited, feedback_submit


# Guide pages are served from the anonymous page cache, so they carry no CSRF
# token. The form changes nothing on anyone's behalf (no session is used) and
# is rate-limited per client, which is what CSRF would otherwise protect.
@csrf_exempt
@require_POST
def guide_feedback(request, page_id: int):
    page = get_object_or_404(GuidePage.objects.live().public(), pk=page_id)
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
    return TemplateResponse(request, "cms/feedback_error.html", {"page": page, "form": form}, status=status)
