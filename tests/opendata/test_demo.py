import pytest
from django.core.management import call_command

from opendata.demo.loader import read_catalogue
from opendata.models import Dataset, Resource, ResourceVersion

pytestmark = pytest.mark.django_db


def _counts():
    return (Dataset.objects.count(), Resource.objects.count(), ResourceVersion.objects.count())


def test_demo_has_exactly_the_catalogue():
    catalogue = read_catalogue()
    assert len(catalogue) == 6
    assert set(Dataset.objects.values_list("slug", flat=True)) >= {d["slug"] for d in catalogue}
    for item in catalogue:
        dataset = Dataset.objects.get(slug=item["slug"])
        assert dataset.is_published
        assert dataset.title == item["title"]
        assert dataset.licence == "CC-BY-4.0"
        assert sorted(t.name for t in dataset.tags.all()) == sorted(item["tags"])
        assert dataset.temporal_start.isoformat() == str(item["temporal"]["start"])
        assert [r.slug for r in dataset.resources.order_by("sort_order")] == [r["name"] for r in item["resources"]]
        for data in item["resources"]:
            version = dataset.resources.get(slug=data["name"]).versions.get()
            assert version.number == 1
            assert version.column_names == data["columns"]
            assert version.row_count == len(data["rows"])
            with version.table_file.open("rb") as handle:
                lines = handle.read().decode("utf-8").splitlines()
            assert lines[1:] == [",".join(str(v) for v in row) for row in data["rows"]] or all(
                "," in str(v) for row in data["rows"] for v in row
            )


def test_demo_rows_round_trip_through_json_download(client):
    item = next(d for d in read_catalogue() if d["slug"] == "camas-hospitalarias-2020-01-10")
    response = client.get("/datos/camas-hospitalarias-2020-01-10/camas.json")
    assert response.status_code == 200
    rows = [[record[c] for c in item["resources"][0]["columns"]] for record in _json(response)]
    assert rows == item["resources"][0]["rows"]


def test_demo_loader_is_idempotent():
    before = _counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert _counts() == before


def _json(response):
    import json

    return json.loads(b"".join(response.streaming_content))
