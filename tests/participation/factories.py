"""Factories for participation: places, citizens and staff roles, proposals and complaints."""

from __future__ import annotations

import factory
from django.utils import timezone

from participation import codes, services
from participation.deadlines import add_business_days, business_days_for
from participation.models import (
    Comment,
    Complaint,
    District,
    MunicipalUnit,
    ProblemType,
    Profile,
    Proposal,
    ProposalCategory,
    Support,
    UnitMembership,
)
from participation.rules import MODERATORS, OFFICERS, TRANSPARENCY
from participation.services import role_groups_ensure
from tests.ayni.factories import UserFactory


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Distrito de prueba {n}")
    slug = factory.Sequence(lambda n: f"distrito-de-prueba-{n}")


class MunicipalUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MunicipalUnit
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Unidad de prueba {n}")
    slug = factory.Sequence(lambda n: f"unidad-de-prueba-{n}")


class ProblemTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProblemType
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Problema de prueba {n}")
    slug = factory.Sequence(lambda n: f"problema-de-prueba-{n}")
    keywords = factory.Sequence(lambda n: f"palabraclave{n}")
    unit = factory.SubFactory(MunicipalUnitFactory)


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Vecina {n}")
    email_verified_at = None


def _profile(user, create: bool, *, verified: bool) -> None:
    if create:
        Profile.objects.get_or_create(
            user=user,
            defaults={"display_name": f"Vecina {user.pk}", "email_verified_at": timezone.now() if verified else None},
        )


def _roles(user, create: bool, extracted, default: list[str]) -> None:
    """The role groups (as ``participation.services.role_groups_ensure`` makes them: with admin access)."""
    if create:
        by_name = role_groups_ensure()
        user.groups.add(*(by_name[name] for name in (extracted if extracted is not None else default)))


class CitizenFactory(UserFactory):
    """A citizen account with a profile whose e-mail is not yet confirmed."""

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        _profile(self, create, verified=False)


class VerifiedCitizenFactory(UserFactory):
    """A citizen whose e-mail address was confirmed (may propose, support, comment, report)."""

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        _profile(self, create, verified=True)


class ModeratorFactory(VerifiedCitizenFactory):
    is_staff = True

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        _roles(self, create, extracted, [MODERATORS])


class TransparencyOfficerFactory(VerifiedCitizenFactory):
    """Someone of the transparency unit (handles every denuncia)."""

    is_staff = True

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        _roles(self, create, extracted, [TRANSPARENCY])


class CaseWorkerFactory(VerifiedCitizenFactory):
    """A complaint officer attached to ``units`` (default: a new unit of their own)."""

    is_staff = True

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        _roles(self, create, extracted, [OFFICERS])

    @factory.post_generation
    def units(self, create, extracted, **kwargs):
        if not create:
            return
        for unit in extracted if extracted is not None else [MunicipalUnitFactory()]:
            UnitMembership.objects.get_or_create(user=self, unit=unit)


class ProposalCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProposalCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Categoría de propuestas {n}")
    slug = factory.Sequence(lambda n: f"categoria-de-propuestas-{n}")


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    title = factory.Sequence(lambda n: f"Propuesta de prueba {n}")
    body = "Plantar cincuenta árboles nativos en la plaza principal del distrito."
    category = factory.SubFactory(ProposalCategoryFactory)
    author = factory.SubFactory(VerifiedCitizenFactory)


class SupportFactory(factory.django.DjangoModelFactory):
    """A support, counted on the proposal as the service counts it."""

    class Meta:
        model = Support

    proposal = factory.SubFactory(ProposalFactory)
    user = factory.SubFactory(VerifiedCitizenFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        support = super()._create(model_class, *args, **kwargs)
        services.support_tallies_rebuild(proposal_ids=[support.proposal_id])
        support.proposal.refresh_from_db(fields=["support_count", "identity_support_count", "status"])
        return support


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    proposal = factory.SubFactory(ProposalFactory)
    author = factory.SubFactory(VerifiedCitizenFactory)
    body = factory.Sequence(lambda n: f"Comentario de prueba {n}.")


class ComplaintFactory(factory.django.DjangoModelFactory):
    """A reclamo received today on the web, with a tracking code made by ``participation.codes``
    and its legal deadline; ``anonymous=True`` (for a denuncia) keeps no identity."""

    class Meta:
        model = Complaint

    kind = Complaint.Kind.CLAIM
    code = factory.LazyAttribute(lambda complaint: codes.generate(complaint.kind))
    unit = factory.SubFactory(MunicipalUnitFactory)
    subject = factory.Sequence(lambda n: f"Reclamo de prueba {n}")
    description = "Hay un poste de alumbrado apagado desde hace una semana."
    channel = Complaint.Channel.WEB
    anonymous = False
    user = factory.Maybe("anonymous", yes_declaration=None, no_declaration=factory.SubFactory(CitizenFactory))
    received_on = factory.LazyFunction(timezone.localdate)
    due_date = factory.LazyAttribute(
        lambda complaint: add_business_days(complaint.received_on, business_days_for(complaint.kind))
    )
