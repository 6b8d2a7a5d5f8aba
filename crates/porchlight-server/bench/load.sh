#!/usr/bin/env bash
# Load test of the central service on loopback: 50 connections for 20 s against the
# authenticated case-read endpoint (GET /v1/cases/{id}: token check, scoped read, redaction and
# an audit entry per request), with wrk from Debian. Prints wrk's report with requests/s and the
# latency percentiles (p99 included), then checks that the audit chain is intact.
#
#   bash crates/porchlight-server/bench/load.sh            # DURATION=20s CONNECTIONS=50 THREADS=2
#
# It builds the server in release mode, uses the throwaway cluster of scripts/pg.sh and its own
# database `porchlight_bench` (recreated each run), and sends traffic to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../../.."

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
PORT=${BENCH_PORT:-18443}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/porchlight/target}

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >&2 || { apt-get update -qq && apt-get install -y -qq wrk >&2; }; }
eval "$(bash scripts/pg.sh start)"

cargo build --release -p porchlight-server >&2
BIN=$CARGO_TARGET_DIR/release/porchlight-server

# A database of its own, migrated by the superuser and served by the service role.
PG_HOSTPORT=127.0.0.1:${PORCHLIGHT_PG_PORT:-55432}
SUPER=postgres://postgres:porchlight-super@$PG_HOSTPORT
"${PORCHLIGHT_PG_BIN:-/usr/lib/postgresql/15/bin}/psql" "$SUPER/postgres" -q -c "DROP DATABASE IF EXISTS porchlight_bench WITH (FORCE)" -c "CREATE DATABASE porchlight_bench" >&2
export PORCHLIGHT_MIGRATE_DATABASE_URL=$SUPER/porchlight_bench
export PORCHLIGHT_DATABASE_URL=postgres://porchlight_app:porchlight-app@$PG_HOSTPORT/porchlight_bench
export PORCHLIGHT_BIND=127.0.0.1:$PORT
export PORCHLIGHT_POOL_SIZE=${POOL_SIZE:-16}
export RUST_LOG=warn
"$BIN" migrate >&2
"$BIN" office add "Bench Office" --region "Bench Region" >&2
printf 'bench case manager password\n' | "$BIN" user add bench.cm --role case_manager --name "Bench Case Manager" --office "Bench Office" >&2

"$BIN" serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done

BASE=http://127.0.0.1:$PORT
TOKEN=$(curl -fs -X POST "$BASE/v1/login" -H 'content-type: application/json' \
    -d '{"username":"bench.cm","password":"bench case manager password","device_name":"load test"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# A synthetic case with every section filled, so each read carries a realistic body.
CASE=$(curl -fs -X POST "$BASE/v1/cases" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{
  "status": "active",
  "fields": {
    "case_type": "ERU", "ncic_category": "EMJ", "missing_from_care": true, "care_agency": "Synthetic County Children Services",
    "child": {"given_name": "Test", "family_name": "Child", "date_of_birth": "2011-04-02", "sex": "F", "race": "U"},
    "description": {"height_cm": 152, "weight_kg": 41, "hair": "BRO", "eyes": "BRO", "clothing": "Blue hoodie, jeans", "medical_cautions": "Synthetic medical note"},
    "event": {"last_seen_date": "2026-01-19", "city": "Tulsa", "state": "OK", "circumstances": "Synthetic circumstances for the load test."},
    "law_enforcement": {"agency_name": "Synthetic Police Department", "investigator_phone": "918 555 0100"}
  }}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -fs "$BASE/v1/cases/$CASE" -H "authorization: Bearer $TOKEN" >/dev/null

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Authorization: Bearer <token>' $BASE/v1/cases/$CASE"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$BASE/v1/cases/$CASE"

kill $SERVER
wait $SERVER 2>/dev/null || true
trap - EXIT
# Every read was audited: the chain must still verify.
"$BIN" audit verify
