#!/usr/bin/env bash
# `make test`: the whole suite. With no test paths given, it runs as two pytest processes side by
# side, on a database and a Redis db each: the tests that spend their time waiting on processes they
# start (the browser journeys, the production smoke run, the wheel built and installed on two
# Pythons, two schedulers racing, the API property run), with the identity and security tests to
# even the halves out, beside all the others. On two cores the suite then takes about the time of
# the longer half. With test paths (`make test PYTEST_ARGS=...`),
# it is one plain pytest run.
set -u
PY=${PY:-.venv/bin/python}
ARGS=("$@")

for arg in "${ARGS[@]}"; do
  case "$arg" in
    -*) ;;
    *) exec "$PY" -m pytest "${ARGS[@]}" ;;  # a path or node id: one plain run
  esac
done

SIDE=(
  tests/e2e
  tests/identity
  tests/security
  tests/platform/test_production_smoke.py
  tests/platform/test_wheel.py
  tests/platform/jobs/test_one_scheduler.py
  tests/web/test_api_properties.py
)
ignores=()
for path in "${SIDE[@]}"; do
  ignores+=("--ignore=$path")
done

main_db=${EPLAN_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/eplan_test}
main_redis=${EPLAN_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
side_db=${EPLAN_TEST_SIDE_DATABASE_URL:-${main_db}_side}
side_redis=${EPLAN_TEST_SIDE_REDIS_URL:-${main_redis%/*}/14}

side_log=$(mktemp)
EPLAN_TEST_DATABASE_URL=$side_db EPLAN_TEST_REDIS_URL=$side_redis \
  "$PY" -m pytest -p no:cacheprovider "${ARGS[@]}" "${SIDE[@]}" >"$side_log" 2>&1 &
side_pid=$!

EPLAN_TEST_DATABASE_URL=$main_db EPLAN_TEST_REDIS_URL=$main_redis \
  "$PY" -m pytest "${ARGS[@]}" "${ignores[@]}"
main_status=$?

wait "$side_pid"
side_status=$?
echo
echo "== the tests that run beside the others: ${SIDE[*]}"
cat "$side_log"
rm -f "$side_log"
if [ "$main_status" -ne 0 ] || [ "$side_status" -ne 0 ]; then
  exit 1
fi
