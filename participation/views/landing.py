"""Entry points for /participa/ and /cuentas/ (the header links to them)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.template.response import TemplateResponse

from participation import selectors


def participation_home(request):
    """What residents can do here: proposals, complaints and tracking."""
    latest = list(selectors.proposal_list(sort="apoyos")[:3])
    return TemplateResponse(request, "participation/home.html", {"latest_proposals": latest})


def accounts_home(request):
    """/cuentas/ leads to the profile when signed in and to the login form otherwise."""
    return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")
