"""Demo participation data: districts, units, roles, proposals with supports and
comments, and complaints in several statuses (one overdue). Idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from participation import deadlines, services
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
from participation.models.complaints import day_only
from participation.rules import MODERATORS, OFFICERS, TRANSPARENCY

Report = Callable[[str], None]

DISTRICTS = [(f"Distrito {n}", f"distrito-{n}") for n in range(1, 7)]
UNITS = [
    ("Unidad de Alumbrado Público", "alumbrado-publico"),
    ("Secretaría de Movilidad", "movilidad"),
    ("Unidad de Aseo Urbano", "aseo-urbano"),
    ("Administración Tributaria Municipal", "tributaria"),
    ("Dirección de Obras Públicas", "obras-publicas"),
    ("Servicio de Agua Potable y Alcantarillado", "agua-alcantarillado"),
    ("Unidad de Áreas Verdes y Arbolado", "areas-verdes"),
    ("Centro de Atención Ciudadana", "atencion-ciudadana"),
]
# Problem types in plain words (the chat's reclamo flow and the staff use them):
# (name, slug, unit, keywords). Keywords match whole words, without accents or case.
PROBLEM_TYPES = [
    (
        "Bache o calle dañada",
        "bache",
        "obras-publicas",
        ["bache", "baches", "hueco", "huecos", "calle rota", "calle dañada", "asfalto", "pavimento", "empedrado"],
    ),
    (
        "Alumbrado público",
        "alumbrado",
        "alumbrado-publico",
        ["alumbrado", "luminaria", "luminarias", "foco", "focos", "poste de luz", "poste", "sin luz", "lámpara"],
    ),
    (
        "Basura sin recoger",
        "basura",
        "aseo-urbano",
        ["basura", "basural", "basurero", "carro basurero", "recojo de basura", "desechos", "escombros", "contenedor"],
    ),
    (
        "Agua o alcantarillado",
        "agua",
        "agua-alcantarillado",
        ["agua", "sin agua", "fuga", "fuga de agua", "cañería", "tubería", "alcantarilla", "alcantarillado", "desagüe"],
    ),
    ("Árbol caído", "arbol-caido", "areas-verdes", ["árbol caído", "árbol", "árboles", "rama", "ramas", "tronco"]),
    ("Otro problema", "otro", "atencion-ciudadana", []),
]

CATEGORIES = [
    ("Movilidad", "movilidad"),
    ("Medio ambiente", "medio-ambiente"),
    ("Espacios públicos", "espacios-publicos"),
    ("Seguridad ciudadana", "seguridad-ciudadana"),
    ("Cultura y deporte", "cultura-deporte"),
]
CITIZENS = [
    ("vecina.ana@demo.ayni.localhost", "Ana Quispe", "distrito-1"),
    ("vecino.luis@demo.ayni.localhost", "Luis Mamani", "distrito-2"),
    ("vecina.rosa@demo.ayni.localhost", "Rosa Condori", "distrito-3"),
    ("vecino.jorge@demo.ayni.localhost", "Jorge Flores", "distrito-1"),
    ("vecina.carla@demo.ayni.localhost", "Carla Vargas", "distrito-4"),
]
STAFF = [
    ("moderacion@demo.ayni.localhost", [MODERATORS], []),
    ("oficial.alumbrado@demo.ayni.localhost", [OFFICERS], ["alumbrado-publico", "aseo-urbano", "areas-verdes"]),
    (
        "oficial.movilidad@demo.ayni.localhost",
        [OFFICERS],
        ["movilidad", "obras-publicas", "agua-alcantarillado", "atencion-ciudadana"],
    ),
    ("transparencia@demo.ayni.localhost", [TRANSPARENCY], []),
]
PROPOSALS = [
    {
        "title": "Ciclovía en la Av. Blanco Galindo",
        "body": "Proponemos una ciclovía protegida entre el km 0 y el km 5 para que estudiantes y trabajadores "
        "puedan llegar en bicicleta de forma segura.",
        "category": "movilidad",
        "district": "distrito-1",
        "tags": ["bicicleta", "seguridad vial"],
        "supporters": 4,
        "comments": ["Excelente idea, la avenida es muy peligrosa.", "Que incluya parqueos para bicicletas."],
        "answer": ("evaluating", "La Secretaría de Movilidad está estudiando el trazado.", ""),
    },
    {
        "title": "Huertos urbanos en plazas de barrio",
        "body": "Usar una parte de las plazas del distrito 3 para huertos comunitarios cuidados por las juntas "
        "vecinales, con riego por goteo.",
        "category": "medio-ambiente",
        "district": "distrito-3",
        "tags": ["huertos", "plazas"],
        "supporters": 2,
        "comments": ["En mi barrio ya hay voluntarios."],
        "answer": None,
    },
    {
        "title": "Más luminarias en el parque lineal",
        "body": "El parque lineal queda a oscuras desde las 19:00. Pedimos luminarias LED cada 30 metros para "
        "que las familias puedan usarlo de noche.",
        "category": "seguridad-ciudadana",
        "district": "distrito-2",
        "tags": ["alumbrado", "parques"],
        "supporters": 3,
        "comments": [],
        "answer": ("accepted", "Incluida en el plan de alumbrado de este año.", ""),
    },
    {
        "title": "Festival de música andina en agosto",
        "body": "Un festival anual de música andina en el coliseo municipal con grupos de los seis distritos.",
        "category": "cultura-deporte",
        "district": None,
        "tags": ["cultura"],
        "supporters": 1,
        "comments": [],
        "answer": None,
    },
]
COMPLAINTS = [
    # (token, kind, unit, subject, description, status, days ago, anonymous)
    (
        "demo-complaint-0001",
        "reclamo",
        "alumbrado-publico",
        "Poste sin luz en la calle Sucre",
        "El poste frente al número 240 de la calle Sucre no enciende desde hace dos semanas.",
        "recibido",
        1,
        False,
    ),
    (
        "demo-complaint-0002",
        "reclamo",
        "movilidad",
        "Semáforo dañado en la Av. Ayacucho",
        "El semáforo de la Av. Ayacucho y Jordán parpadea en amarillo todo el día.",
        "en_proceso",
        6,
        False,
    ),
    (
        "demo-complaint-0003",
        "denuncia",
        "tributaria",
        "Cobro irregular en ventanilla",
        "En la ventanilla 3 me pidieron un pago adicional sin recibo para agilizar el trámite.",
        "asignado",
        4,
        True,
    ),
    (
        "demo-complaint-0004",
        "sugerencia",
        "aseo-urbano",
        "Contenedores de reciclaje en el mercado",
        "Sería bueno poner contenedores para separar plástico y cartón en el mercado central.",
        "respondido",
        20,
        False,
    ),
    (
        "demo-complaint-0005",
        "reclamo",
        "obras-publicas",
        "Bache sin reparar en la calle Colombia",
        "Hay un bache profundo en la calle Colombia esquina Baptista que ya causó accidentes.",
        "asignado",
        40,
        False,
    ),
]


def _user(email: str, name: str = "", *, verified: bool = True, district: District | None = None):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=email, defaults={"email": email, "first_name": name})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    profile, _ = Profile.objects.get_or_create(user=user, defaults={"display_name": name, "district": district})
    if verified and profile.email_verified_at is None:
        profile.email_verified_at = timezone.now()
        profile.save(update_fields=["email_verified_at"])
    return user


def _backdate(complaint: Complaint, days_ago: int) -> None:
    received = timezone.localdate() - dt.timedelta(days=days_ago)
    due = deadlines.add_business_days(received, deadlines.business_days_for(complaint.kind))
    moment = timezone.now() - dt.timedelta(days=days_ago)
    if complaint.anonymous:
        moment = day_only(moment)
    Complaint.objects.filter(pk=complaint.pk).update(received_on=received, due_date=due, created_at=moment)
    complaint.events.filter(kind="created").update(created_at=moment)
    complaint.refresh_from_db()


@transaction.atomic
def load_demo(*, report: Report = lambda message: None) -> None:
    report("Cargando la participación de demostración…")
    groups = services.role_groups_ensure()
    districts = {
        slug: District.objects.get_or_create(slug=slug, defaults={"name": name})[0] for name, slug in DISTRICTS
    }
    units = {slug: MunicipalUnit.objects.get_or_create(slug=slug, defaults={"name": name})[0] for name, slug in UNITS}
    categories = {
        slug: ProposalCategory.objects.get_or_create(slug=slug, defaults={"name": name})[0] for name, slug in CATEGORIES
    }
    citizens = [_user(email, name, district=districts[d]) for email, name, d in CITIZENS]
    staff = _load_staff(groups, units)
    report(f"  distritos: {len(districts)}; unidades: {len(units)}; personal: {len(staff)}")
    _load_problem_types(units)
    report(f"  tipos de problema: {len(PROBLEM_TYPES)}")
    created = _load_proposals(citizens=citizens, categories=categories, districts=districts, staff=staff)
    report(f"  propuestas: {len(PROPOSALS)} ({created} nuevas)")
    created = _load_complaints(citizens=citizens, units=units, staff=staff)
    report(f"  reclamos y denuncias: {len(COMPLAINTS)} ({created} nuevos; uno vencido)")


def _load_staff(groups: dict, units: dict) -> dict:
    """The staff accounts by the part of their e-mail before the @, with their groups and units."""
    staff = {}
    for email, group_names, unit_slugs in STAFF:
        user = _user(email, email.split("@")[0])
        for group_name in group_names:
            user.groups.add(groups[group_name])
        for slug in unit_slugs:
            UnitMembership.objects.get_or_create(user=user, unit=units[slug])
        staff[email.split("@")[0]] = user
    return staff


def _load_problem_types(units: dict) -> None:
    for order, (name, slug, unit, keywords) in enumerate(PROBLEM_TYPES, start=1):
        ProblemType.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "unit": units[unit], "keywords": "\n".join(keywords), "sort_order": order * 10},
        )


def _load_proposals(*, citizens: list, categories: dict, districts: dict, staff: dict) -> int:
    """The demo proposals not loaded yet, with their supports, comments and answers; how many were new."""
    created = 0
    for index, item in enumerate(PROPOSALS):
        if Proposal.objects.filter(title=item["title"]).exists():
            continue
        author = citizens[index % len(citizens)]
        proposal = Proposal.objects.create(
            author=author,
            title=item["title"],
            body=item["body"],
            category=categories[item["category"]],
            district=districts.get(item["district"]) if item["district"] else None,
        )
        proposal.tags.set(item["tags"])
        supporters = [c for c in citizens if c != author][: item["supporters"]]
        Support.objects.bulk_create([Support(proposal=proposal, user=u) for u in supporters])
        services.support_tallies_rebuild(proposal_ids=[proposal.pk])
        for offset, text in enumerate(item["comments"]):
            Comment.objects.create(proposal=proposal, author=citizens[(index + offset + 1) % len(citizens)], body=text)
        if item["answer"]:
            status, answer, reason = item["answer"]
            services.proposal_answer(
                proposal=proposal, user=staff["moderacion"], status=status, answer=answer, reason=reason
            )
        created += 1
    return created


def _load_complaints(*, citizens: list, units: dict, staff: dict) -> int:
    """The demo cases not loaded yet, backdated and moved on to their status; how many were new."""
    officer_for = {
        "alumbrado-publico": staff["oficial.alumbrado"],
        "movilidad": staff["oficial.movilidad"],
        "obras-publicas": staff["oficial.movilidad"],
        "tributaria": staff["transparencia"],
        "aseo-urbano": staff["oficial.alumbrado"],
    }
    created = 0
    for token, kind, unit, subject, description, status, days_ago, anonymous in COMPLAINTS:
        if Complaint.objects.filter(submission_token=token).exists():
            continue
        complaint, _new = services.complaint_create(
            kind=kind,
            unit=units[unit],
            subject=subject,
            description=description,
            anonymous=anonymous,
            contact_email="" if anonymous else citizens[0].email,
            notify_consent=not anonymous,
            submission_token=token,
        )
        _backdate(complaint, days_ago)
        _advance(complaint, status, actor=officer_for[unit])
        created += 1
    return created


def _advance(complaint: Complaint, status: str, *, actor) -> None:
    """Move a new case on to ``status`` as its unit's officer would."""
    if status == "recibido":
        return
    if status in ("asignado", "en_proceso"):
        services.complaint_assign(complaint=complaint, actor=actor, assignee=actor)
    if status == "en_proceso":
        services.complaint_change_status(
            complaint=complaint, actor=actor, status=status, text="Enviamos una cuadrilla a revisar."
        )
    if status == "respondido":
        services.complaint_reply(complaint=complaint, actor=actor, text="Gracias, lo incluimos en el plan.")
        services.complaint_change_status(complaint=complaint, actor=actor, status=status)
