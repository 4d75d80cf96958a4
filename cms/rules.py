"""Who may do what, and what a page needs before it can be published."""

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class PublishProblem:
    field: str | None
    message: str


def guide_publish_problems(*, requirement_count: int, office) -> list[PublishProblem]:
    """A guide cannot be published without requirements and an office."""
    problems = []
    if requirement_count == 0:
        problems.append(PublishProblem(None, _("No se puede publicar una guía sin requisitos.")))
    if office is None:
        problems.append(PublishProblem("office", _("No se puede publicar una guía sin oficina de atención.")))
    return problems
