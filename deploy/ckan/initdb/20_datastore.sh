#!/bin/bash
# CKAN's DataStore: its own database, owned by the CKAN user (the write URL), and a
# read-only role for the read URL. PostgreSQL's image runs this once, on a new volume;
# on an existing one run the two statements by hand (see deploy/ckan/README.md).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<-EOSQL
    CREATE ROLE datastore_ro NOSUPERUSER NOCREATEDB NOCREATEROLE LOGIN PASSWORD '${DATASTORE_READONLY_PASSWORD}';
    CREATE DATABASE datastore OWNER "${POSTGRES_USER}" ENCODING 'utf-8';
EOSQL
