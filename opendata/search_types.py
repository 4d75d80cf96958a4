"""Datasets in the portal's search (see ``search.registry``)."""

from django.utils.translation import gettext_lazy as _

from search.registry import SearchDocumentData, SearchType, register


def public_datasets():
    from opendata.models import Dataset

    return Dataset.objects.published()


def dataset_document(dataset) -> SearchDocumentData:
    return SearchDocumentData(
        title=dataset.title,
        url=dataset.get_absolute_url(),
        slug=dataset.slug,
        strong=[],
        text=[
            dataset.description,
            " · ".join(tag.name for tag in dataset.tags.all()),
            dataset.column_names.replace("_", " "),
            dataset.publisher,
        ],
        language="es",
    )


register(
    SearchType(
        name="dataset",
        label=_("Datos abiertos"),
        model="opendata.Dataset",
        queryset=public_datasets,
        document=dataset_document,
        prefetch=("tags",),
    )
)
