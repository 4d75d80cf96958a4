from django.urls import path, register_converter

from opendata import views


class FormatConverter:
    regex = "csv|json|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "dataformat")

app_name = "opendata"
urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    path("catalogo.jsonld", views.catalogue_jsonld, name="catalogue_jsonld"),
    path("<slug:slug>.jsonld", views.dataset_jsonld, name="dataset_jsonld"),
    path("<slug:slug>/", views.dataset_detail, name="dataset"),
    path("<slug:slug>/<slug:resource>.<dataformat:fmt>", views.download, name="download"),
    path("<slug:slug>/<slug:resource>/v<int:number>.<dataformat:fmt>", views.download, name="download_version"),
]
