"""The compose CKAN has what the bridge's metadata is for: DCAT, the DataStore, xloader, tables, activity.

Docker cannot run in CI: these check the configuration's shape (plugins, the image's extensions,
the DataStore's databases and the start-up files the image copies).
"""

import re
from urllib.parse import urlsplit

from tests.test_compose import ROOT, base_image, dotenv_from_example, resolved_environment, services

CKAN_DIR = ROOT / "deploy" / "ckan"


def test_ckan_enables_dcat_datastore_xloader_tables_and_activity():
    plugins = resolved_environment("ckan")["CKAN__PLUGINS"].split()
    assert {"dcat", "datastore", "xloader", "datatables_view", "activity", "envvars"} <= set(plugins)
    # DCAT-AP 3: the profile that reads the URIs and publisher_* extras the bridge sends.
    assert resolved_environment("ckan")["CKANEXT__DCAT__RDF__PROFILES"] == "euro_dcat_ap_3"


def test_the_ckan_image_installs_the_extensions_and_its_start_up_files():
    assert base_image("ckan") == "ckan/ckan-base:2.11"
    build = services()["ckan"]["build"]
    dockerfile = build["dockerfile_inline"]
    assert re.search(r'"ckanext-dcat==\d+\.\d+\.\d+"', dockerfile)
    assert re.search(r'"ckanext-xloader==\d+\.\d+\.\d+"', dockerfile)
    context = (ROOT / build["context"]).resolve()
    assert context == CKAN_DIR
    for source in re.findall(r"^COPY (\S+) ", dockerfile, re.MULTILINE):
        assert (context / source).is_file(), f"the Dockerfile copies {source}, missing from {context}"
    assert "ckanext.xloader.api_token" in (CKAN_DIR / "50_xloader_token.sh").read_text()
    assert re.search(r"^command=ckan -c \S+ jobs worker", (CKAN_DIR / "ckan-worker.conf").read_text(), re.MULTILINE)


def test_the_datastore_has_its_database_and_read_only_role():
    dotenv = dotenv_from_example()  # one set of made-up secrets for both services
    environment = resolved_environment("ckan", dotenv)
    write, read = urlsplit(environment["CKAN_DATASTORE_WRITE_URL"]), urlsplit(environment["CKAN_DATASTORE_READ_URL"])
    assert write.hostname == read.hostname == "ckan-db" and write.path == read.path == "/datastore"
    assert write.username == "ckan" and read.username == "datastore_ro"
    assert urlsplit(environment["CKANEXT__XLOADER__JOBS_DB__URI"]).path == "/ckan"
    mounts = [str(volume) for volume in services()["ckan-db"]["volumes"]]
    assert "./deploy/ckan/initdb:/docker-entrypoint-initdb.d:ro" in mounts
    script = (CKAN_DIR / "initdb" / "20_datastore.sh").read_text()
    assert "CREATE ROLE datastore_ro" in script and "CREATE DATABASE datastore" in script
    db_environment = resolved_environment("ckan-db", dotenv)
    assert db_environment["DATASTORE_READONLY_PASSWORD"] == read.password
