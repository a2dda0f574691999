"""Oversight rollups (issue 16): each LAO's figures per fiscal year, and the log of what changed them

Revision ID: 0027_oversight_rollups
Revises: 0026_project_budget_codes
Create Date: 2026-12-07 01:10:00

``oversight_figures`` keeps the numbers the oversight pages show per LAO and fiscal year;
``oversight_change`` names the LAOs whose numbers a committed write may have moved. Triggers on the
tables those numbers come from write it in the writer's own transaction, whatever the path (the
engine, a service, an import, SQL typed by hand), so nothing that commits is missed and nothing
rolled back is noted. On PostgreSQL a transaction notes each LAO once (a unique index on the LAO
and ``txid_current()``); SQLite notes one row per written row.

SQLite drops a table's triggers when ``batch_alter_table`` rebuilds it: a later migration that
alters one of these tables in batch mode must create its triggers again
(``tests/oversight/test_rollups.py`` checks every one exists on both databases).

Every LAO with a plan or an execution is noted once here, so the first refresh builds its figures.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0027_oversight_rollups"
down_revision = "0026_project_budget_codes"
branch_labels = None
depends_on = None

# The tables whose rows move the figures, and how a row leads to its LAO.
WATCHED = {
    "project_execution": "organisation",
    "plan": "organisation",
    "disbursement": "execution",
    "budget_transfer": "execution",
    "project_record": "plan",
    "lao_strategy": "plan",
    "project_link": "record",
    "lao_strategy_link": "strategy",
}


def _lao_of(kind: str, row: str) -> str:
    """SQL for the LAO of ``row`` (NEW or OLD) of a table of ``kind``."""
    return {
        "organisation": f"{row}.organisation_id",
        "execution": f"(SELECT organisation_id FROM project_execution WHERE id = {row}.execution_id)",
        "plan": f"(SELECT organisation_id FROM plan WHERE id = {row}.plan_id)",
        "record": (
            "(SELECT p.organisation_id FROM project_record r JOIN plan p ON p.id = r.plan_id"
            f" WHERE r.id = {row}.record_id)"
        ),
        "strategy": (
            "(SELECT p.organisation_id FROM lao_strategy s JOIN plan p ON p.id = s.plan_id"
            f" WHERE s.id = {row}.strategy_id)"
        ),
    }[kind]


KINDS = ("organisation", "execution", "plan", "record", "strategy")


def _postgresql_function(kind: str) -> str:
    """A trigger function noting the LAO of the written row of a table of ``kind``: once per LAO and
    transaction (``ON CONFLICT DO NOTHING`` on the LAO and ``txid_current()``)."""
    return f"""
CREATE FUNCTION oversight_note_{kind}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  lao integer;
BEGIN
  IF TG_OP = 'DELETE' THEN lao := {_lao_of(kind, "OLD")}; ELSE lao := {_lao_of(kind, "NEW")}; END IF;
  IF lao IS NOT NULL THEN
    INSERT INTO oversight_change (organisation_id, changed_at, txid)
    VALUES (lao, now(), txid_current())
    ON CONFLICT (organisation_id, txid) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
"""


def upgrade():
    op.create_table(
        "oversight_figures",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year_be", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("budget", sa.Numeric(16, 2), nullable=False),
        sa.Column("disbursed", sa.Numeric(16, 2), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "fiscal_year_be", "dimension", "item_id"),
    )
    op.create_index("ix_oversight_figures_year", "oversight_figures", ["fiscal_year_be", "dimension"])
    op.create_table(
        "oversight_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_oversight_change_organisation_id", "oversight_change", ["organisation_id"])
    op.create_index(
        "uq_oversight_change_per_transaction", "oversight_change", ["organisation_id", "txid"], unique=True
    )

    if op.get_bind().dialect.name == "postgresql":
        for kind in KINDS:
            op.execute(_postgresql_function(kind))
        for table, kind in WATCHED.items():
            op.execute(
                f"CREATE TRIGGER oversight_change_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION oversight_note_{kind}()"
            )
    else:
        for table, kind in WATCHED.items():
            for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                lao = _lao_of(kind, row)
                op.execute(
                    f"CREATE TRIGGER oversight_change_{table}_{event.lower()} AFTER {event} ON {table}"
                    f" BEGIN INSERT INTO oversight_change (organisation_id, changed_at)"
                    f" SELECT {lao}, CURRENT_TIMESTAMP WHERE {lao} IS NOT NULL; END"
                )

    op.execute(
        "INSERT INTO oversight_change (organisation_id, changed_at)"
        " SELECT organisation_id, CURRENT_TIMESTAMP FROM plan"
        " UNION SELECT organisation_id, CURRENT_TIMESTAMP FROM project_execution"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS oversight_change_{table} ON {table}")
        for kind in KINDS:
            op.execute(f"DROP FUNCTION IF EXISTS oversight_note_{kind}()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS oversight_change_{table}_{event}")
    op.drop_table("oversight_change")
    op.drop_table("oversight_figures")
