import re

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, Notification, Organisation, OutboxMessage, User
from eplan_flow.seed import demo
from eplan_flow.services.identity import accounts
from eplan_flow.services.platform import engine
from eplan_flow.services.platform.queues import drain_in_process, queue
from tests import factories
from tests.conftest import TEST_CONFIG

HEADER = "dla_code,type_th,name_th,province_code,province_th,district_th,lat,lon,area_km2"


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["eplan", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_import_laos_prints_its_counts_and_each_rejected_row_and_exits_0(app, db, tmp_path):
    path = tmp_path / "laos.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "6380109,อบต.,นาสวรรค์,38,บึงกาฬ,เมืองบึงกาฬ,18.253035,103.608301,66",
                "63801X9,อบต.,ผิด,38,บึงกาฬ,เมืองบึงกาฬ,,,",
                "6380110,อบต.,โป่งเปือย,77,บึงกาฬ,เมืองบึงกาฬ,,,",
            ]
        ),
        encoding="utf-8",
    )

    result = run(app, "import-laos", str(path))

    assert result.exit_code == 0, result.output
    assert "added: 2, updated: 0, unchanged: 0, rejected: 1" in result.output
    assert re.search(r"rejected line 3 \(63801X9\): .*7 digits", result.output)
    # Province 77 exists (Prachuap Khiri Khan) but has no district named เมืองบึงกาฬ: warnings.
    assert re.search(r"warning line 4 \(6380110\): district 'เมืองบึงกาฬ'", result.output)
    assert re.search(
        r"warning line 4 \(6380110\): province name 'บึงกาฬ' is not the name of province 77", result.output
    )
    assert (
        db.session.execute(
            select(func.count()).select_from(Organisation).where(Organisation.kind == "lao")
        ).scalar_one()
        == 2
    )


def test_import_laos_exits_1_on_a_missing_or_unreadable_file(app, tmp_path):
    missing = run(app, "import-laos", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1
    assert "cannot read" in missing.output

    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run(app, "import-laos", str(wrong))
    assert result.exit_code == 1
    assert "missing column(s) dla_code" in result.output


def test_load_geography_prints_the_counts(app):
    result = run(app, "load-geography")

    assert result.exit_code == 0
    assert "77 provinces, 928 districts, 7436 subdistricts (8441 added, 0 updated)" in result.output


def test_seed_demo_loads_the_demo_once_and_lists_the_demo_accounts(app, db):
    first = run(app, "seed-demo", "--password", "pw-for-demo")
    second = run(app, "seed-demo")

    assert first.exit_code == second.exit_code == 0
    assert "users added: 10; plans added: 4" in first.output
    assert "users added: 0; plans added: 0; workflow steps fired: 0" in second.output
    for user in demo.DEMO_USERS:
        assert user.username in second.output
    assert accounts.authenticate("planner_town", "pw-for-demo") is not None


@pytest.mark.real_commits
def test_verify_audit_passes_on_a_clean_trail_and_names_the_event_altered_behind_its_back(app, db):
    run(app, "seed-demo")
    events = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    chains = db.session.execute(select(func.count(sa.distinct(AuditEvent.chain)))).scalar_one()

    clean = run(app, "verify-audit")
    assert clean.exit_code == 0, clean.output
    assert f"{events} events in {chains} chains verified" in clean.output

    target = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "return_for_revision")
    ).scalar_one()
    with _db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(sa.text("UPDATE audit_event SET comment = 'x' WHERE id = :id"), {"id": target.id})
        conn.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))

    broken = run(app, "verify-audit")
    assert broken.exit_code == 1
    assert f"chain {target.chain}: first broken event id {target.id} (seq {target.seq})" in broken.output
    assert "1 chain(s) broken" in broken.output


@pytest.mark.real_commits
def test_the_database_refuses_to_alter_an_audit_event_while_its_trigger_is_on(app, db):
    run(app, "seed-demo")
    with _db.engine.connect() as conn:
        try:
            conn.execute(sa.text("UPDATE audit_event SET comment = 'x' WHERE id = 1"))
        except sa.exc.DBAPIError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("the append-only trigger let an update through")


def test_create_token_prints_a_token_that_signs_the_user_in(app, db, world):
    result = run(app, "create-token", world.planner.username, "--name", "eMENSCR export")

    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("epf_")
    assert accounts.user_for_token(token).username == world.planner.username

    unknown = run(app, "create-token", "nobody-here", "--name", "x")
    assert unknown.exit_code == 1
    assert "nobody-here" in unknown.output


@pytest.mark.real_commits
def test_relay_outbox_hands_pending_messages_to_redis_and_worker_burst_runs_them(app, db, world):
    app.config["OUTBOX_RELAY_ON_COMMIT"] = False
    plan = factories.plan(world.sao_a, world.planner)
    engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    assert db.session.execute(select(OutboxMessage.state)).scalars().all() == ["pending"]

    relayed = run(app, "relay-outbox")

    assert relayed.exit_code == 0
    assert "relayed: 1, still pending: 0" in relayed.output
    assert queue("notifications", app).count == 1

    worked = run(app, "worker", "--burst")

    assert worked.exit_code == 0, worked.output
    assert queue("notifications", app).count == 0
    db.session.expire_all()
    notified = db.session.execute(
        select(User.username).join(Notification, Notification.user_id == User.id)
    ).scalars()
    assert "a_devcom_secretary" in set(notified)


@pytest.mark.real_commits
def test_setup_migrates_and_loads_the_demo_only_when_load_demo_data_is_on(app, db):
    off = run(app, "setup")
    assert off.exit_code == 0, off.output
    assert "no demo data loaded" in off.output
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0

    app.config["LOAD_DEMO_DATA"] = True
    on = run(app, "setup")
    assert on.exit_code == 0, on.output
    # The demo people and the demo applicant waiting for approval.
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == len(demo.DEMO_USERS) + 1


def test_setup_on_a_fresh_sqlite_database_migrates_and_loads_the_demo_like_make_run(tmp_path):
    from eplan_flow import create_app

    app = create_app(
        {
            **TEST_CONFIG,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'eplan.sqlite3'}",
            "REDIS_URL": None,
            "LOAD_DEMO_DATA": True,
        }
    )
    try:
        result = run(app, "setup")
        assert result.exit_code == 0, result.output
        assert "Bueng Kan LAOs: 58 added" in result.output
        assert run(app, "verify-audit").exit_code == 0
        drain_in_process(app)
        with app.app_context():
            plans = _db.session.execute(sa.text("SELECT status FROM plan ORDER BY id")).scalars().all()
            assert sorted(plans) == ["acknowledged", "committee_review", "drafting", "submitted"]
    finally:
        drain_in_process(app)
        with app.app_context():
            _db.engine.dispose()
