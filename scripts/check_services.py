"""Stop at once, with a clear message, when PostgreSQL or Redis is not reachable (make test)."""

import os
import sys

import psycopg
import redis

database_url = os.environ["DATABASE_URL"]
redis_url = os.environ["REDIS_URL"]
problems = []

if not database_url.startswith(("postgres://", "postgresql://")):
    problems.append(f"DATABASE_URL must point at PostgreSQL for the tests, not {database_url.split(':')[0]}.")
else:
    try:
        # Connect to the server's maintenance database: the test database is created by the run.
        url = database_url.rsplit("/", 1)[0] + "/postgres"
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        problems.append(
            f"PostgreSQL is not reachable at {database_url}: {str(exc).strip().splitlines()[0]}\n"
            "  Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "  or: docker compose up -d db   (then DATABASE_URL=postgres://omc:omc@127.0.0.1:5432/omc)"
        )

try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
except redis.RedisError as exc:
    problems.append(
        f"Redis is not reachable at {redis_url}: {exc}\n"
        '  Start it, e.g.: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n'
        "  or: docker compose up -d redis"
    )

if problems:
    print("make test runs against real PostgreSQL and Redis, and cannot reach them:\n", file=sys.stderr)
    print("\n".join(problems), file=sys.stderr)
    sys.exit(2)
print(f"Services reachable: PostgreSQL ({database_url}), Redis ({redis_url}).")
