"""Factories for open data: datasets, their resources and resource versions (made by the services,
which parse and store each upload as the models require)."""

from __future__ import annotations

import factory

from opendata import services
from opendata.models import Dataset, Resource, ResourceVersion

CSV = "distrito,nombre,monto\n1,Tacata,1500.5\n2,Piñami,2300\n3,Santo Domingo,-12\n".encode()


class DatasetFactory(factory.django.DjangoModelFactory):
    """A published dataset (``publish=False`` for a draft), created with ``services.dataset_create``."""

    class Meta:
        model = Dataset

    title = factory.Sequence(lambda n: f"Conjunto de prueba {n}")
    slug = factory.Sequence(lambda n: f"conjunto-de-prueba-{n}")
    description = "Datos de prueba publicados por el municipio."
    publisher = "Dirección de Gobierno Electrónico"
    theme = "GOVE"
    tags = factory.LazyFunction(list)
    publish = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.dataset_create(**kwargs)


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    dataset = factory.SubFactory(DatasetFactory)
    slug = factory.Sequence(lambda n: f"recurso-{n}")
    title = factory.Sequence(lambda n: f"Recurso de prueba {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.resource_create(**kwargs)


class ResourceVersionFactory(factory.django.DjangoModelFactory):
    """A version uploaded through ``services.resource_version_upload`` (``data`` defaults to a small CSV)."""

    class Meta:
        model = ResourceVersion

    resource = factory.SubFactory(ResourceFactory)
    filename = "datos.csv"
    data = CSV

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.resource_version_upload(**kwargs)
