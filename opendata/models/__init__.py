from opendata.models.ckan import CkanOutbox, CkanState
from opendata.models.datasets import Dataset, DatasetTag, Resource, ResourceVersion

__all__ = ["CkanOutbox", "CkanState", "Dataset", "DatasetTag", "Resource", "ResourceVersion"]
