from opendata.models.ckan import CkanOutbox, CkanState
from opendata.models.datasets import Dataset, DatasetTag, Resource, ResourceVersion, file_storage
from opendata.models.settings import OpenDataSettings

__all__ = [
    "CkanOutbox",
    "CkanState",
    "Dataset",
    "DatasetTag",
    "OpenDataSettings",
    "Resource",
    "ResourceVersion",
    "file_storage",
]
