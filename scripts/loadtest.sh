#!/usr/bin/env bash
# make loadtest: gunicorn (+ a Celery worker) on LOADTEST_DATABASE_URL, then locust headless with
# 30 users for 5 minutes, loopback only. Seed the database first, e.g.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/omc_load make demo   (or seed_demo --orders 5000)
# Stats land in loadtest/results/ (CSV + HTML); docs/reliability.md has the last run's figures.
set -euo pipefail
VENV="${VENV:-.venv}"
export DATABASE_URL="${LOADTEST_DATABASE_URL:?set LOADTEST_DATABASE_URL to a seeded database}"
export REDIS_URL="${LOADTEST_REDIS_URL:-redis://127.0.0.1:6379/14}"
export DJANGO_SETTINGS_MODULE=omc.settings.local DJANGO_DEBUG=false LOG_LEVEL=WARNING
export EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
PORT="${LOADTEST_PORT:-8040}"
USERS="${LOADTEST_USERS:-30}"
DURATION="${LOADTEST_DURATION:-5m}"
mkdir -p loadtest/results
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$VENV/bin/gunicorn" omc.wsgi:application --bind "127.0.0.1:$PORT" --workers "${LOADTEST_GUNICORN_WORKERS:-4}" \
  --log-level warning --timeout 60 &
pids+=($!)
"$VENV/bin/celery" -A omc worker --loglevel=WARNING --concurrency=1 --without-gossip --without-mingle \
  >loadtest/results/worker.log 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
# The executive dashboard is computed once and cached (omc/kpis.py); compute it before the users
# arrive, as the first executive of the day would, so 30 users do not all compute it cold at once.
DATABASE_URL="$DATABASE_URL" "$VENV/bin/python" manage.py shell -c \
  "from django.test import Client; from django.contrib.auth import get_user_model; c = Client(); \
c.force_login(get_user_model().objects.get(username='exec')); print('warm-up /dashboard/', c.get('/dashboard/').status_code)"

"$VENV/bin/locust" -f loadtest/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
  -u "$USERS" -r 5 -t "$DURATION" --only-summary \
  --csv loadtest/results/omc --html loadtest/results/omc.html
