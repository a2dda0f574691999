#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1; start them when they are down.
# Fails loudly (never lets the suite skip) when they cannot be reached.
set -u
PGHOST=${PGHOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

pg_up() { pg_isready -q -h "$PGHOST" -p 5432; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  echo "PostgreSQL is down: starting it"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  for _ in $(seq 30); do pg_up && break; sleep 1; done
fi
if ! redis_up; then
  echo "Redis is down: starting it"
  if command -v redis-server >/dev/null; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  for _ in $(seq 30); do redis_up && break; sleep 1; done
fi

status=0
pg_up || { echo "ERROR: PostgreSQL is not reachable on $PGHOST:5432 (set EPLAN_TEST_DATABASE_URL or start it)" >&2; status=1; }
redis_up || { echo "ERROR: Redis is not reachable on 127.0.0.1:$REDIS_PORT (set EPLAN_TEST_REDIS_URL or start it)" >&2; status=1; }
[ $status -eq 0 ] && echo "PostgreSQL and Redis are up"
exit $status
