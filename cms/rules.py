"""Who may do what; what a page needs before it can be published is declared on its model
(``GuidePage.publish_problems()``) as a list of ``PublishProblem``."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishProblem:
    """One reason a page may not be published: the field it concerns (None: the page) and a message."""

    field: str | None
    message: str
