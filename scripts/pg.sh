#!/usr/bin/env bash
# A throwaway local PostgreSQL 15 cluster for trying out and testing the central service.
#
#   eval "$(bash scripts/pg.sh start)"   # start (or find running) and export the URLs
#   bash scripts/pg.sh url               # print the exports again
#   bash scripts/pg.sh stop              # stop it (the data directory stays for the next start)
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user.
# Settings: PORCHLIGHT_PG_DIR (default /tmp/porchlight-pg), PORCHLIGHT_PG_PORT (default 55432).
# Everything printed on stdout is shell exports; progress goes to stderr.
set -euo pipefail

PGBIN=${PORCHLIGHT_PG_BIN:-/usr/lib/postgresql/15/bin}
DATA=${PORCHLIGHT_PG_DIR:-/tmp/porchlight-pg}
PORT=${PORCHLIGHT_PG_PORT:-55432}
# Loopback-only cluster for tests and trials: fixed passwords are fine here and nowhere else.
SUPER_PW=porchlight-super
OWNER_PW=porchlight-owner
APP_PW=porchlight-app

say() { echo "pg.sh: $*" >&2; }

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_binaries() {
    if [ ! -x "$PGBIN/initdb" ]; then
        say "PostgreSQL 15 is not installed; installing it with apt-get"
        if [ "$(id -u)" != 0 ]; then
            say "run as root, or install the postgresql-15 package first"
            exit 1
        fi
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 || \
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres >&2
    fi
}

running() {
    [ -f "$DATA/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

psql_super() {
    as_pg "$PGBIN/psql" -h "$DATA" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q "$@"
}

print_urls() {
    cat <<URLS
export PORCHLIGHT_TEST_DATABASE_URL=postgres://postgres:$SUPER_PW@127.0.0.1:$PORT/postgres
export PORCHLIGHT_MIGRATE_DATABASE_URL=postgres://porchlight_owner:$OWNER_PW@127.0.0.1:$PORT/porchlight
export PORCHLIGHT_DATABASE_URL=postgres://porchlight_app:$APP_PW@127.0.0.1:$PORT/porchlight
URLS
}

start() {
    ensure_binaries
    if running; then
        say "already running on 127.0.0.1:$PORT ($DATA)"
        print_urls
        return
    fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
        say "creating a cluster in $DATA"
        mkdir -p "$DATA"
        [ "$(id -u)" = 0 ] && chown postgres: "$DATA"
        chmod 700 "$DATA"
        local pwfile
        pwfile=$(mktemp)
        echo "$SUPER_PW" >"$pwfile"
        chmod 644 "$pwfile"
        as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 >&2
        rm -f "$pwfile"
        # Durability is not wanted from a throwaway cluster; speed is.
        cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    fi
    say "starting on 127.0.0.1:$PORT"
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >&2
    psql_super <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'porchlight_service') THEN
        CREATE ROLE porchlight_service NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'porchlight_owner') THEN
        CREATE ROLE porchlight_owner LOGIN PASSWORD 'porchlight-owner';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'porchlight_app') THEN
        CREATE ROLE porchlight_app LOGIN PASSWORD 'porchlight-app' IN ROLE porchlight_service;
    END IF;
END
$$;
SELECT 'CREATE DATABASE porchlight OWNER porchlight_owner'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'porchlight') \gexec
SQL
    print_urls
}

stop() {
    if [ -f "$DATA/PG_VERSION" ] && running; then
        as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
        say "stopped"
    else
        say "not running"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url)
        if running; then print_urls; else say "not running: use 'bash scripts/pg.sh start'"; exit 1; fi
        ;;
    *)
        echo "usage: bash scripts/pg.sh start|stop|url" >&2
        exit 2
        ;;
esac
