from opendata.models.ckan import CkanOutbox, CkanState
from opendata.models.datasets import Dataset, DatasetTag, Resource, ResourceVersion, file_storage

__all__ = ["CkanOutbox", "CkanState", "Dataset", "DatasetTag", "Resource", "ResourceVersion", "file_storage"]
