"""A plan's update notes its LAO for the oversight rollups only when the figures can move

Revision ID: 0028_plan_change_columns
Revises: 0027_oversight_rollups
Create Date: 2026-12-07 04:20:00

Migration 0027 noted a plan's LAO in ``oversight_change`` on every UPDATE of the plan, and every step
of a plan's workflow updates it (its state and version). The figures read only a plan's LAO, its
period and its version in force (``status.planned_count``, ``status.execution_money``), so every
other update made the LAO's figures be computed live on every oversight page until the next refresh,
and the refresh then recompute figures that had not moved. Now an update notes the LAO only when
``organisation_id``, ``period_start_be`` or ``current_version`` changes. Inserting or deleting a
plan notes it as before.

On PostgreSQL the one trigger becomes two (``oversight_change_plan`` for INSERT and DELETE,
``oversight_change_plan_update`` for the update, whose WHEN compares OLD and NEW); SQLite's
``oversight_change_plan_update`` gets the same condition.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0028_plan_change_columns"
down_revision = "0027_oversight_rollups"
branch_labels = None
depends_on = None

# The plan's columns the oversight figures read (besides its id, which never changes).
COLUMNS = ("organisation_id", "period_start_be", "current_version")
_SQLITE_INSERT = (
    " BEGIN INSERT INTO oversight_change (organisation_id, changed_at)"
    " SELECT NEW.organisation_id, CURRENT_TIMESTAMP WHERE NEW.organisation_id IS NOT NULL; END"
)


def upgrade():
    columns = ", ".join(COLUMNS)
    if op.get_bind().dialect.name == "postgresql":
        moved = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COLUMNS)
        op.execute("DROP TRIGGER oversight_change_plan ON plan")
        op.execute(
            "CREATE TRIGGER oversight_change_plan AFTER INSERT OR DELETE ON plan"
            " FOR EACH ROW EXECUTE FUNCTION oversight_note_organisation()"
        )
        op.execute(
            f"CREATE TRIGGER oversight_change_plan_update AFTER UPDATE OF {columns} ON plan"
            f" FOR EACH ROW WHEN ({moved}) EXECUTE FUNCTION oversight_note_organisation()"
        )
    else:
        moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COLUMNS)
        op.execute("DROP TRIGGER IF EXISTS oversight_change_plan_update")
        op.execute(
            f"CREATE TRIGGER oversight_change_plan_update AFTER UPDATE OF {columns} ON plan"
            f" WHEN {moved}" + _SQLITE_INSERT
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS oversight_change_plan_update ON plan")
        op.execute("DROP TRIGGER IF EXISTS oversight_change_plan ON plan")
        op.execute(
            "CREATE TRIGGER oversight_change_plan AFTER INSERT OR UPDATE OR DELETE ON plan"
            " FOR EACH ROW EXECUTE FUNCTION oversight_note_organisation()"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS oversight_change_plan_update")
        op.execute("CREATE TRIGGER oversight_change_plan_update AFTER UPDATE ON plan" + _SQLITE_INSERT)
