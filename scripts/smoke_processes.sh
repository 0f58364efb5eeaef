#!/usr/bin/env bash
# Starts the production processes on this machine WITHOUT Docker, with the commands of
# docs/operations.md ("Processes"), and checks that each one comes up and does its work:
#   web (gunicorn, production settings) answers /healthz, /readyz and /metrics;
#   one Celery worker per queue (handoffs, alerts, documents, reports) runs a task of its queue;
#   beat starts and sends its first due task.
# Uses a scratch database (created and dropped here) and Redis db $SMOKE_REDIS_DB.
#   scripts/smoke_processes.sh            # needs PostgreSQL on 127.0.0.1:5432 and Redis on :6379
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
PG_URL="${SMOKE_PG_URL:-postgres://postgres@127.0.0.1:5432}"
DB_NAME="${SMOKE_DB_NAME:-omc_ops_smoke}"
PORT="${SMOKE_PORT:-18000}"
RUN_DIR="$(mktemp -d /tmp/omc-smoke.XXXXXX)"
pids=()

# The environment every process needs (docs/operations.md, "What every process needs").
export DJANGO_SETTINGS_MODULE=omc.settings.production
export DJANGO_SECRET_KEY="smoke-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=false
export DATABASE_URL="$PG_URL/$DB_NAME"
export REDIS_URL="redis://127.0.0.1:6379/${SMOKE_REDIS_DB:-7}"
export DB_POOL_MIN=1 DB_POOL_MAX=2
export METRICS_TOKEN="smoke-metrics-token"
export LOG_FORMAT=json
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$BIN/python" - <<EOF || true
import psycopg
with psycopg.connect("$PG_URL/postgres", autocommit=True) as conn:
    conn.execute('DROP DATABASE IF EXISTS "$DB_NAME" WITH (FORCE)')
EOF
  echo "logs kept in $RUN_DIR"
}
trap cleanup EXIT INT TERM

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds="$1" what="$2"; shift 2
  for _ in $(seq 1 $((seconds * 2))); do
    if "$@" >/dev/null 2>&1; then echo "ok   $what"; return 0; fi
    sleep 0.5
  done
  echo "FAIL $what"; return 1
}

echo "== scratch database $DB_NAME, migrate, collectstatic"
"$BIN/python" - <<EOF
import psycopg
with psycopg.connect("$PG_URL/postgres", autocommit=True) as conn:
    conn.execute('DROP DATABASE IF EXISTS "$DB_NAME" WITH (FORCE)')
    conn.execute('CREATE DATABASE "$DB_NAME"')
EOF
"$BIN/python" manage.py migrate --noinput >"$RUN_DIR/migrate.log" 2>&1
"$BIN/python" manage.py collectstatic --noinput >"$RUN_DIR/collectstatic.log" 2>&1
"$BIN/celery" -A omc purge -f >/dev/null 2>&1 || true

echo "== start web, one worker per queue, beat"
export PROMETHEUS_MULTIPROC_DIR="$RUN_DIR/prometheus-web"; mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
"$BIN/gunicorn" omc.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --threads 1 --timeout 60 \
  --access-logfile - >"$RUN_DIR/web.log" 2>&1 &
pids+=($!)
unset PROMETHEUS_MULTIPROC_DIR
for queue in handoffs alerts documents reports; do
  # Two prefork children each: every child opens its own connection pool after the fork.
  "$BIN/celery" -A omc worker -Q "$queue" -n "$queue@smoke" --concurrency=2 --loglevel=INFO \
    --without-gossip --without-mingle >"$RUN_DIR/worker-$queue.log" 2>&1 &
  pids+=($!)
done
"$BIN/celery" -A omc beat --loglevel=INFO --schedule="$RUN_DIR/celerybeat-schedule" >"$RUN_DIR/beat.log" 2>&1 &
pids+=($!)

status=0
url="http://127.0.0.1:$PORT"
wait_for 60 "web: /healthz 200" curl -fsS "$url/healthz" || status=1
wait_for 10 "web: /readyz 200 (database, broker, migrations)" curl -fsS "$url/readyz" || status=1
curl -sS "$url/readyz"; echo
wait_for 10 "web: /metrics with the token" sh -c "curl -fsS -H 'Authorization: Bearer $METRICS_TOKEN' $url/metrics | grep -q omc_handoffs_open" || status=1
wait_for 10 "web: login page served with static files" sh -c "curl -fsS $url/login/ | grep -q 'omc/omc.'" || status=1

for queue in handoffs alerts documents reports; do
  wait_for 60 "worker $queue@smoke answers ping" "$BIN/celery" -A omc inspect ping -d "$queue@smoke" --timeout 2 || status=1
done

echo "== one task per queue, each must run on its own queue's worker"
"$BIN/python" manage.py shell -c '
from omc.celery import app
for name in ["orders.tasks.outbox_relay", "orders.tasks.handoffs_scan_overdue",
             "billing.tasks.invoices_send_reminders", "aftersales.tasks.maintenance_visits_generate"] * 3:
    app.send_task(name)
' >"$RUN_DIR/publish.log" 2>&1
check_task() {  # check_task QUEUE TASK
  wait_for 60 "worker $1 ran $2" sh -c "grep -q '\"task_succeeded\"' '$RUN_DIR/worker-$1.log' && grep -q '\"task\": \"$2\"' '$RUN_DIR/worker-$1.log'" || status=1
}
check_task handoffs orders.tasks.outbox_relay
check_task alerts orders.tasks.handoffs_scan_overdue
check_task documents billing.tasks.invoices_send_reminders
check_task reports aftersales.tasks.maintenance_visits_generate
for queue in handoffs alerts documents reports; do
  echo "     $queue worker ran: $(grep -ho '"task": "[a-z_.]*"' "$RUN_DIR/worker-$queue.log" | sort -u | cut -d'"' -f4 | tr '\n' ' ')"
done

echo "== beat (exactly one) sends its first due tasks within a minute"
wait_for 75 "beat sent a due task" grep -q "Sending due task" "$RUN_DIR/beat.log" || status=1
grep -h "Sending due task" "$RUN_DIR/beat.log" | head -3 || true

echo "== a JSON log line from the web process"
grep -m1 '"request_finished"' "$RUN_DIR/web.log" || true
[ "$status" = 0 ] && echo "SMOKE OK" || echo "SMOKE FAILED"
exit "$status"
