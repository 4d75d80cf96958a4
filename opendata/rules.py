"""Who may do what with datasets."""

from __future__ import annotations


def can_manage_datasets(user) -> bool:
    """Staff with the dataset permissions publish, edit and upload (Wagtail admin)."""
    return bool(user and user.is_authenticated and user.has_perm("opendata.change_dataset"))


def can_view_dataset(user, dataset) -> bool:
    return dataset.is_published or can_manage_datasets(user)
