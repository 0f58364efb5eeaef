"""gunicorn's settings, read from the working directory by every `gunicorn` OMC runs (the image,
docker-compose, the benchmark, `make loadtest`); command-line flags override them.

gthread workers: each process serves `threads` requests at once, so a request waiting on
PostgreSQL no longer holds the whole process (with sync workers, 8 clients queued behind 2
processes). Each thread holds one database connection at a time: keep DB_POOL_MAX >= threads
(docs/operations.md, "Connection pool").
"""

import os

wsgi_app = "omc.wsgi:application"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
# keep-alive connections from a load balancer or the benchmark's clients stay open between requests
keepalive = 5
