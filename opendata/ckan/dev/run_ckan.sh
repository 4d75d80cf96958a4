#!/usr/bin/env bash
# A REAL CKAN 2.11 on loopback for Ayni's integration tests and benchmark.
#
# Adapted from the shared recipe (tools/ckan/run_ckan.sh): CKAN from PyPI in
# its own venv, its own PostgreSQL cluster and Redis on loopback ports, NO
# Solr (a tiny test-only plugin, ci_nosolr, swaps the package index for
# CKAN's NoopSearchIndex), a sysadmin, an organization and an API token.
#
#   bash opendata/ckan/dev/run_ckan.sh start   # install if needed, start, leave running
#   bash opendata/ckan/dev/run_ckan.sh stop    # stop what `start` started
#   bash opendata/ckan/dev/run_ckan.sh status  # exit 0 when CKAN answers
#
# `start` prints KEY=VALUE lines (CKAN_URL, CKAN_API_TOKEN, CKAN_ORGANIZATION)
# and writes them to $W/env. The venv is kept between runs (first install
# takes a few minutes; later starts about 20 s); the data is fresh on every
# start. Knobs: CKAN_VERSION, PY, W (work dir, default <repo>/var/ckan),
# PG_PORT, REDIS_PORT, CKAN_PORT, CKAN_ORG, CKAN_THREADED. Needs root (su to postgres for
# initdb/pg_ctl; apt-get only when a system package is missing).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CKAN_VERSION=${CKAN_VERSION:-2.11.6}
PY=${PY:-python3}
W=${W:-$REPO/var/ckan}
PG_PORT=${PG_PORT:-5434}
REDIS_PORT=${REDIS_PORT:-6390}
CKAN_PORT=${CKAN_PORT:-5000}
CKAN_ORG=${CKAN_ORG:-ayni-ci}
CKAN_URL="http://127.0.0.1:${CKAN_PORT}"
# PostgreSQL's data dir must be reachable by the postgres user: keep it in /tmp.
PGW=${PGW:-${TMPDIR:-/tmp}/ayni-ckan-pg-${PG_PORT}}

log() { echo ">>> $*" >&2; }
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg() { su postgres -s /bin/sh -c "$*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

status() {
    curl -fsS -m 3 "$CKAN_URL/api/3/action/status_show" >/dev/null 2>&1
}

stop_all() {
    set +e
    if [ -f "$W/ckan.pid" ]; then
        local pid; pid=$(cat "$W/ckan.pid")
        # setsid made the server a process-group leader: stop the group.
        if kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null; then
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 -- "-$pid" 2>/dev/null
        fi
        rm -f "$W/ckan.pid"
    fi
    if [ -f "$W/redis/redis.pid" ]; then
        kill "$(cat "$W/redis/redis.pid")" 2>/dev/null
        for _ in $(seq 1 50); do [ -f "$W/redis/redis.pid" ] || break; sleep 0.1; done
    fi
    if [ -f "$PGW/pgdata/postmaster.pid" ]; then
        as_pg "$(pgbin)/pg_ctl -D $PGW/pgdata -m fast -w stop" >/dev/null
    fi
    rm -f "$W/env"
    set -e
}

case "${1:-start}" in
    stop) stop_all; echo "stopped" >&2; exit 0 ;;
    status) status; exit $? ;;
    start) ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

mkdir -p "$W"
exec 9>"$W/.lock"
flock -w 900 9   # two test sessions starting at once: one installs, the other waits

if status && [ -s "$W/env" ]; then   # already up (started by us earlier): reuse
    cat "$W/env"; exit 0
fi

# ---------------------------------------------------------------- 0. fresh dirs
stop_all
rm -rf "$PGW" "$W/redis" "$W/storage" "$W/logs" "$W/ckan.ini"
mkdir -p "$W/logs" "$W/storage" "$W/redis"
on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then stop_all; echo "FAILED (rc=$rc); logs in $W/logs" >&2; fi
    exit "$rc"
}
trap on_exit EXIT

for port in "$PG_PORT" "$REDIS_PORT" "$CKAN_PORT"; do
    if port_open "$port"; then echo "port $port on 127.0.0.1 is already in use" >&2; exit 1; fi
done

# ------------------------------------------------------- 1. system packages
if [ -z "$(pgbin)" ] || ! command -v redis-server >/dev/null || ! command -v gcc >/dev/null \
   || ! command -v curl >/dev/null || ! dpkg -s libpq-dev libmagic1 >/dev/null 2>&1; then
    log "apt-get install postgresql redis-server libpq-dev gcc libmagic1 curl"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        postgresql redis-server libpq-dev gcc libmagic1 curl >"$W/logs/apt.log"
fi

# ------------------------------------------ 2. PostgreSQL + Redis on loopback
bin=$(pgbin)
install -d -o postgres -g postgres "$PGW" "$PGW/pgdata" "$PGW/pgrun"
as_pg "$bin/initdb -D $PGW/pgdata -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256" >"$W/logs/initdb.log"
as_pg "$bin/pg_ctl -D $PGW/pgdata -l $PGW/pgrun/postgres.log -w \
    -o '-p $PG_PORT -k $PGW/pgrun -c listen_addresses=127.0.0.1 -c fsync=off' start" \
    >"$W/logs/pg_ctl.log"
as_pg "psql -v ON_ERROR_STOP=1 -qh $PGW/pgrun -p $PG_PORT -U postgres \
    -c \"CREATE ROLE ckan LOGIN PASSWORD 'ckan'\" \
    -c \"CREATE DATABASE ckan OWNER ckan ENCODING 'utf-8'\""
log "postgres up on $PG_PORT"

redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$W/redis" --pidfile "$W/redis/redis.pid" \
    --logfile "$W/logs/redis.log" --save '' --appendonly no
for _ in $(seq 1 100); do
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
done
log "redis up on $REDIS_PORT"

# ------------------------------------------------ 3. Python install (cached)
STAMP="$W/venv-ckan/.ayni-installed-$CKAN_VERSION"
if [ ! -f "$STAMP" ]; then
    log "pip install ckan[requirements]==$CKAN_VERSION (first time: a few minutes)"
    rm -rf "$W/venv-ckan"
    "$PY" -m venv "$W/venv-ckan"
    "$W/venv-ckan/bin/pip" install -q --upgrade pip >"$W/logs/pip-ckan.log" 2>&1
    "$W/venv-ckan/bin/pip" install -q "ckan[requirements]==$CKAN_VERSION" >>"$W/logs/pip-ckan.log" 2>&1
    "$W/venv-ckan/bin/pip" install -q --no-deps "$HERE/ckan_ci_nosolr" >>"$W/logs/pip-ckan.log" 2>&1
    touch "$STAMP"
fi
CK="$W/venv-ckan/bin/ckan"
export CKAN_INI="$W/ckan.ini"

# ----------------------------------------------------- 4. config + database
"$CK" generate config "$CKAN_INI" >"$W/logs/generate.log" 2>&1
"$CK" config-tool "$CKAN_INI" \
    "sqlalchemy.url=postgresql://ckan:ckan@127.0.0.1:${PG_PORT}/ckan" \
    "ckan.site_url=${CKAN_URL}" \
    "ckan.redis.url=redis://127.0.0.1:${REDIS_PORT}/0" \
    "ckan.storage_path=$W/storage" \
    "ckan.max_resource_size=100" \
    "ckan.plugins=${CKAN_PLUGINS:-activity ci_nosolr}" >"$W/logs/config-tool.log" 2>&1
"$CK" db init >"$W/logs/db-init.log" 2>&1
log "ckan db init done"

"$CK" user add ckan_admin email=admin@example.org password=ci-admin-password >"$W/logs/user.log" 2>&1
"$CK" sysadmin add ckan_admin >>"$W/logs/user.log" 2>&1
TOKEN=$("$CK" user token add ckan_admin ci 2>>"$W/logs/user.log" | tail -n 1 | tr -d '[:space:]')
[ -n "$TOKEN" ]

# --------------------------------------------------------- 5. run the server
# Threaded (a request per thread, HTTP/1.1 keep-alive) like a production CKAN
# behind uwsgi, not one request at a time; CKAN_THREADED=0 for the latter.
threaded=(); [ "${CKAN_THREADED:-1}" = 1 ] && threaded=(--threaded)
setsid "$CK" run -H 127.0.0.1 -p "$CKAN_PORT" --disable-reloader "${threaded[@]}" >"$W/logs/ckan.log" 2>&1 &
echo $! >"$W/ckan.pid"
for _ in $(seq 1 600); do status && break; sleep 0.1; done
status || { echo "CKAN did not answer within 60 s" >&2; exit 1; }
log "ckan up on $CKAN_URL"

# The organization the portal publishes into.
curl -fsS -m 30 -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\": \"$CKAN_ORG\", \"title\": \"Ayni CI\"}" \
    "$CKAN_URL/api/3/action/organization_create" >"$W/logs/org.log"

printf 'CKAN_URL=%s\nCKAN_API_TOKEN=%s\nCKAN_ORGANIZATION=%s\n' "$CKAN_URL" "$TOKEN" "$CKAN_ORG" >"$W/env"
cat "$W/env"
