#!/bin/sh
# Restore an archive made by scripts/backup.sh into an EMPTY PostgreSQL database.
#
#   scripts/restore.sh ARCHIVE TARGET_DATABASE_URL
#
# All or nothing (one transaction). Refuses a database that already has tables: restore into a new
# database, check it, then point the app at it. Ownership and grants are not taken from the
# archive (the target cluster's roles may differ): run scripts/db-roles.sql on the restored
# database afterwards, which hands the tables to eplan_owner and grants eplan_app its rights.
# Then check it with the same keys as the source:
#   EPLAN_DATABASE_URL=TARGET eplan verify-audit      (the audit chains and their signed heads)
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: scripts/restore.sh ARCHIVE TARGET_DATABASE_URL" >&2
    exit 2
fi
archive="$1"
url=$(printf '%s' "$2" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')
if [ -f "$archive.sha256" ]; then
    (cd "$(dirname "$archive")" && sha256sum --check --quiet "$(basename "$archive").sha256")
fi

tables=$(psql --no-psqlrc --quiet --tuples-only --no-align --dbname="$url" \
    --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
    echo "restore.sh: the target database already has $tables table(s); restore into an empty database" >&2
    exit 1
fi

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$archive"
echo "restored $archive; now run scripts/db-roles.sql on it, then 'eplan verify-audit' against it"
