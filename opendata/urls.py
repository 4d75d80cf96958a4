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
    # DCAT-AP: the .jsonld URLs are the IRIs (content negotiation); .ttl and .rdf are fixed formats;
    # any other suffix answers 406.
    path("catalogo.jsonld", views.catalogue_dcat, name="catalogue_jsonld"),
    path("catalogo.<str:suffix>", views.catalogue_dcat, name="catalogue_dcat"),
    path("<slug:slug>.jsonld", views.dataset_dcat, name="dataset_jsonld"),
    path("<slug:slug>.<str:suffix>", views.dataset_dcat, name="dataset_dcat"),
    path("<slug:slug>/", views.dataset_detail, name="dataset"),
    path("<slug:slug>/<slug:resource>.<dataformat:fmt>", views.download, name="download"),
    path("<slug:slug>/<slug:resource>/v<int:number>.<dataformat:fmt>", views.download, name="download_version"),
]
