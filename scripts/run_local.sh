#!/usr/bin/env bash
# Serves the app on http://127.0.0.1:8000. With REDIS_URL set it also runs a Celery worker
# and beat; without it, tasks run in-process and run_local_beat keeps the schedule.
set -euo pipefail
PY="${PY:-.venv/bin/python}"
CELERY="$(dirname "$PY")/celery"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [ -n "${REDIS_URL:-}" ]; then
  "$CELERY" -A omc worker --loglevel=INFO --concurrency=2 &
  pids+=($!)
  "$CELERY" -A omc beat --loglevel=INFO --schedule=/tmp/omc-celerybeat-schedule &
  pids+=($!)
else
  "$PY" manage.py run_local_beat &
  pids+=($!)
fi
"$PY" manage.py runserver "${OMC_ADDR:-127.0.0.1:8000}"
