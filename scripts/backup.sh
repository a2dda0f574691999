#!/bin/sh
# A full backup of eplan-flow's PostgreSQL database: one pg_dump custom-format archive (-Fc:
# compressed, restorable table by table, read by pg_restore), checked readable before it counts.
#
#   scripts/backup.sh [DIRECTORY]
#
# Reads the database from EPLAN_BACKUP_DATABASE_URL, else EPLAN_MIGRATION_DATABASE_URL (the owner
# role: it reads every table), else EPLAN_DATABASE_URL; a SQLAlchemy URL
# (postgresql+psycopg://...) is accepted. Writes DIRECTORY/eplan-YYYYMMDDTHHMMSSZ.dump (DIRECTORY:
# EPLAN_BACKUP_DIR, default /var/backups/eplan) and its .sha256, and deletes archives older than
# EPLAN_BACKUP_KEEP_DAYS days (default 35). Prints the archive's path.
#
# Schedule (README "Deployment"): nightly, e.g. in the database host's crontab
#   30 1 * * *  eplan  /opt/eplan/scripts/backup.sh /var/backups/eplan
# then copy the directory off the host. The keys (EPLAN_AUDIT_KEY, EPLAN_DATA_KEYS, ...) are
# never in the archive: keep them apart from it, or the archive cannot be read back or verified.
set -eu

url="${EPLAN_BACKUP_DATABASE_URL:-${EPLAN_MIGRATION_DATABASE_URL:-${EPLAN_DATABASE_URL:-}}}"
if [ -z "$url" ]; then
    echo "backup.sh: set EPLAN_DATABASE_URL (or EPLAN_BACKUP_DATABASE_URL)" >&2
    exit 2
fi
case "$url" in
    postgresql*) ;;
    *) echo "backup.sh: not a PostgreSQL URL; the embedded SQLite database is backed up by copying its file" >&2; exit 2 ;;
esac
# libpq reads postgresql://...; SQLAlchemy's driver suffix (+psycopg) is not its business.
url=$(printf '%s' "$url" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')

dir="${1:-${EPLAN_BACKUP_DIR:-/var/backups/eplan}}"
keep_days="${EPLAN_BACKUP_KEEP_DAYS:-35}"
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
archive="$dir/eplan-$stamp.dump"
partial="$archive.partial"
trap 'rm -f "$partial"' EXIT

# One consistent snapshot of the whole database (pg_dump runs in one repeatable-read transaction).
pg_dump --format=custom --compress=6 --file="$partial" --dbname="$url"
# An archive pg_restore cannot list is no backup.
pg_restore --list "$partial" > /dev/null
mv "$partial" "$archive"
(cd "$dir" && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")

find "$dir" -maxdepth 1 -name 'eplan-*.dump*' -type f -mtime +"$keep_days" -delete
echo "$archive"
