"""What follows staff saving the participation settings (``ParticipationSettings``).

The cached levels are forgotten (now, and again on commit, since a request racing
the transaction may have cached the old values), and the proposals are checked
against the threshold at its level as saved. Connected from ``ParticipationConfig.ready()``.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save


def _settings_saved(sender, instance, **kwargs) -> None:
    from participation import selectors
    from participation.services.proposals import proposals_threshold_recheck

    selectors.levels_forget()
    transaction.on_commit(selectors.levels_forget, robust=True)
    proposals_threshold_recheck(level=instance.threshold_level)


def _settings_deleted(sender, **kwargs) -> None:
    from participation import selectors

    selectors.levels_forget()
    transaction.on_commit(selectors.levels_forget, robust=True)


def connect() -> None:
    from participation.models import ParticipationSettings

    post_save.connect(_settings_saved, sender=ParticipationSettings, dispatch_uid="ayni-participation-levels-saved")
    post_delete.connect(
        _settings_deleted, sender=ParticipationSettings, dispatch_uid="ayni-participation-levels-deleted"
    )
