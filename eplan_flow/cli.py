"""``flask --app wsgi eplan ...`` commands. Each parses its options, calls one service, prints."""

from __future__ import annotations

import logging
import time
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import distinct, func, select

from eplan_flow.errors import DomainError
from eplan_flow.extensions import db
from eplan_flow.jobs import schedule
from eplan_flow.jobs.worker import run_worker
from eplan_flow.models import AuditEvent, Organisation, User
from eplan_flow.seed import demo
from eplan_flow.services.directory import catalogues, geography, laos_import
from eplan_flow.services.identity import accounts, keys, oidc_clients, resealing
from eplan_flow.services.oversight import rollups
from eplan_flow.services.planning import plan_import, reminders
from eplan_flow.services.platform import audit, outbox, queues

eplan = AppGroup("eplan", help="eplan-flow administration.")
log = logging.getLogger(__name__)


def init_app(app) -> None:
    app.cli.add_command(eplan)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


@eplan.command("load-geography")
def load_geography_command() -> None:
    """Load Thailand's provinces, districts and subdistricts (DOPA codes) from geothai."""
    report = geography.load_geography()
    click.echo(
        f"{report.provinces} provinces, {report.districts} districts, "
        f"{report.subdistricts} subdistricts ({report.added} added, {report.updated} updated)"
    )


@eplan.command("import-laos")
@click.argument("file")
@click.option("--actor", "actor_name", metavar="USERNAME", help="Record the import as done by this user.")
def import_laos_command(file: str, actor_name: str | None) -> None:
    """Import LAOs from DLA's open-data CSV (dla_code,type_th,name_th,province_code,...)."""
    actor = None
    if actor_name:
        actor = db.session.execute(select(User).where(User.username == actor_name)).scalar_one_or_none()
        if actor is None:
            _fail(f"no user {actor_name!r}")
    try:
        report = laos_import.import_laos(actor, file)
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    except DomainError as exc:
        _fail(f"cannot import {file}: {exc.message}")
    click.echo(
        f"added: {report.added}, updated: {report.updated}, unchanged: {report.unchanged}, "
        f"rejected: {len(report.rejected)}"
    )
    if report.offices_added:
        click.echo(f"offices added: {report.offices_added}")
    for issue in report.rejected:
        click.echo(f"rejected line {issue.line} ({issue.code or 'no code'}): {issue.reason}")
    for issue in report.warnings:
        click.echo(f"warning line {issue.line} ({issue.code}): {issue.reason}")


@eplan.command("import-plan")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--lao", "lao_code", required=True, metavar="CODE", help="The LAO's 7-digit code.")
@click.option("--period", required=True, metavar="2566-2570", help="The plan's five Buddhist-Era years.")
@click.option(
    "--announced-on", metavar="DD/MM/YYYY", help="Import as announced on this day (B.E.); else a draft."
)
@click.option("--actor", "actor_name", metavar="USERNAME", help="Record the import as done by this planner.")
@click.option("--dry-run", is_flag=True, help="Read and check the workbook; write nothing.")
def import_plan_command(
    file: str, lao_code: str, period: str, announced_on: str | None, actor_name: str | None, dry_run: bool
) -> None:
    """Import an LAO's plan from its Excel workbook (ผ.02, ผ.02/1, ผ.02/2), all or nothing."""
    actor = None
    if actor_name:
        actor = db.session.execute(select(User).where(User.username == actor_name)).scalar_one_or_none()
        if actor is None:
            _fail(f"no user {actor_name!r}")
    org = db.session.execute(select(Organisation).where(Organisation.code == lao_code)).scalar_one_or_none()
    if org is None:
        return _fail(f"no LAO with code {lao_code!r}")
    try:
        start = plan_import.parse_period(period)
        with open(file, "rb") as source:
            data = source.read()
        outcome = plan_import.import_plan(
            actor,
            org.id,
            data,
            period_start_be=start,
            file_name=file.rsplit("/", 1)[-1],
            mode="announced" if announced_on else "draft",
            announced_on=announced_on,
            dry_run=dry_run,
        )
    except plan_import.WorkbookRefused as refused:
        for line in plan_import.iter_problem_lines(refused.problems):
            click.echo(line, err=True)
        _fail(f"{file} was not imported: {len(refused.problems)} problem(s); nothing was written")
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    except DomainError as exc:
        _fail(f"cannot import {file}: {exc.message}")
    parsed = outcome.parsed
    click.echo(f"{file}: sha256 {parsed.sha256}")
    for sheet in parsed.sheets:
        click.echo(
            f"  sheet {sheet.name}: "
            + (f"{sheet.form}, {sheet.projects} projects" if sheet.form else "skipped")
        )
    if outcome.already_imported:
        click.echo(f"already imported as plan #{outcome.plan_id}: nothing changed")
    elif not outcome.ok:
        for line in plan_import.iter_problem_lines(outcome.problems):
            click.echo(line, err=True)
        _fail(f"dry run: {len(outcome.problems)} problem(s); the workbook cannot be imported as it is")
    elif dry_run:
        click.echo(
            f"dry run: {len(parsed.projects)} projects under {len(parsed.strategies)} strategies "
            "would be imported; nothing was written"
        )
    else:
        click.echo(
            f"imported plan #{outcome.plan_id} ({outcome.mode}): {len(parsed.projects)} projects "
            f"under {len(parsed.strategies)} strategies"
        )


@eplan.command("seed-demo")
@click.option(
    "--password",
    default="demo1234",
    show_default=True,
    help="Password of the demo accounts this run creates (existing ones keep theirs).",
)
def seed_demo_command(password: str) -> None:
    """Load the Bueng Kan demo: geography, 58 LAOs, offices, one user per role, plans (idempotent)."""
    _seed_demo(password)


def _seed_demo(password: str) -> None:
    try:
        report = demo.seed_demo(password)
    except (DomainError, ValueError) as exc:
        _fail(str(exc))
    _load_catalogues(include_demo=True)
    click.echo(
        f"geography: {report.geography.provinces} provinces, {report.geography.districts} districts, "
        f"{report.geography.subdistricts} subdistricts ({report.geography.added} added)"
    )
    laos = report.laos
    click.echo(
        f"Bueng Kan LAOs: {laos.added} added, {laos.updated} updated, {laos.unchanged} unchanged; "
        f"offices added: {laos.offices_added}"
    )
    click.echo(
        f"users added: {len(report.users_added)}; plans added: {report.plans_added}; "
        f"workflow steps fired: {report.steps_fired}"
    )
    click.echo("")
    click.echo("Demo accounts: choose 'Sign in with SSO' and sign in with the email below")
    click.echo("(password for new accounts: the --password given):")
    width = max(len(u.username) for u in demo.DEMO_USERS) + len("@example.org")
    for u in demo.DEMO_USERS:
        click.echo(
            f"  {u.username + '@example.org':<{width}}  {u.role:<18}  "
            f"{u.organisation_name} ({u.organisation_code})"
            f"  {u.full_name}"
        )


@eplan.command("load-catalogues")
@click.option(
    "--demo",
    "include_demo",
    is_flag=True,
    help="Also add the Bueng Kan demo entries of the provincial catalogues.",
)
def load_catalogues_command(include_demo: bool) -> None:
    """Load the national catalogues (strategies, master plans, NESDP, SDGs, แผนงาน); idempotent."""
    _load_catalogues(include_demo)


def _load_catalogues(include_demo: bool) -> None:
    report = catalogues.load_catalogues(include_demo=include_demo)
    counts = ", ".join(f"{name} {n}" for name, n in sorted(report.counts.items()))
    click.echo(
        f"catalogues: {report.added} added, {report.updated} updated, {report.unchanged} unchanged ({counts})"
    )


@eplan.command("verify-audit")
def verify_audit_command() -> None:
    """Check every audit hash chain; name the first broken event of each broken chain."""
    chains = db.session.execute(select(func.count(distinct(AuditEvent.chain)))).scalar_one()
    checked, breaks = audit.verify_chains()
    if not breaks:
        click.echo(f"{checked} events in {chains} chains verified (keyed hashes and signed heads)")
        return
    for broken in breaks:
        where = (
            ""
            if broken.event_id is None
            else (f"first broken event id {broken.event_id} (seq {broken.seq}): ")
        )
        click.echo(f"BROKEN chain {broken.chain}: {where}{broken.reason}")
    click.echo(f"{checked} events in {chains} chains checked: {len(breaks)} chain(s) broken")
    raise click.exceptions.Exit(1)


@eplan.command("anchor-audit")
def anchor_audit_command() -> None:
    """Sign the heads of audit chains written before keyed chains (once, after upgrading)."""
    click.echo(f"{audit.anchor_legacy_chains()} chain(s) anchored; run verify-audit to check them all")


@eplan.command("create-token")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'eMENSCR export'.")
@click.option(
    "--days",
    default=90,
    show_default=True,
    type=click.IntRange(min=0),
    help="Days until it expires; 0 for never.",
)
def create_token_command(username: str, name: str, days: int) -> None:
    """Issue a bearer token for the JSON API; it is printed once and never stored."""
    try:
        token = accounts.create_token(username, name, days=days or None)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(token)


@eplan.command("relay-outbox")
@click.option(
    "--loop",
    "interval",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Keep relaying every SECONDS until interrupted.",
)
def relay_outbox_command(interval: float | None) -> None:
    """Hand pending outbox messages to the job queue (one pass, or --loop)."""
    if interval is None:
        relayed, pending = outbox.relay_all()
        if not current_app.config.get("REDIS_URL"):  # the jobs run here: wait for them
            queues.drain_in_process(current_app._get_current_object(), timeout=None)  # type: ignore[attr-defined]
        click.echo(f"relayed: {relayed}, still pending: {pending}")
        return
    click.echo(f"relaying every {interval:g}s; Ctrl-C stops")
    try:
        while True:
            try:
                relayed, pending = outbox.relay_all()
                if relayed or pending:
                    click.echo(f"relayed: {relayed}, still pending: {pending}")
            except Exception:  # Redis or the database is down: say so and try again
                log.exception("outbox relay failed; retrying in %ss", interval)
            finally:
                db.session.remove()
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("stopped")


@eplan.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--with-scheduler/--no-scheduler",
    "--cron/--no-cron",
    "with_scheduler",
    default=False,
    help="Also run the recurring jobs' scheduler here (a one-process development set-up; "
    "production runs `eplan scheduler` once). Off by default.",
)
@click.option(
    "--fork/--no-fork",
    default=False,
    help="Run each job in a process forked for it (a job's memory goes with it), or in the worker "
    "itself (the default: no fork and no new database connection per job, about a fifth of the CPU).",
)
@click.option(
    "--max-jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many jobs, for the supervisor to start the worker afresh (a worker "
    "running jobs itself keeps the memory its largest job needed). Default: never.",
)
def worker_command(burst: bool, with_scheduler: bool, fork: bool, max_jobs: int | None) -> None:
    """Run an RQ worker on the configured queues, relaying the outbox (no scheduling by default)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    run_worker(app, burst=burst, cron=with_scheduler, fork=fork, max_jobs=max_jobs)


@eplan.command("scheduler")
def scheduler_command() -> None:
    """Enqueue the recurring jobs when due, until stopped: run exactly one (a second one waits)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    schedule.serve(app)


@eplan.command("run-deadline-checks")
@click.option(
    "--today",
    "today_iso",
    metavar="YYYY-MM-DD",
    default=None,
    help="Check as if today were this date (Bangkok); default: today.",
)
def run_deadline_checks_command(today_iso: str | None) -> None:
    """Send the deadline reminders, overdue notices and escalations due today (each only once)."""
    try:
        today = date.fromisoformat(today_iso) if today_iso else None
    except ValueError:
        _fail(f"--today must be a date (YYYY-MM-DD), not {today_iso!r}")
    summary = reminders.run_deadline_checks(today)
    found = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.items.items())) or "nothing due"
    created = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.created.items())) or "none"
    click.echo(
        f"{summary.today.isoformat()}: {found}; new notifications: {created}; emails: {summary.emails}"
    )


@eplan.command("setup")
@click.option(
    "--password",
    default="demo1234",
    show_default=True,
    help="Password of the demo accounts, when demo data is loaded.",
)
def setup_command(password: str) -> None:
    """Apply the migrations (flask db upgrade), then load the demo data when LOAD_DEMO_DATA is on."""
    upgrade()
    click.echo("database schema is up to date")
    # Published from the start: a relying party reading the JWKS before any sign-in finds a key.
    click.echo(f"ID token signing key {keys.ensure_keys().kid} is published")
    _load_catalogues(include_demo=False)
    if current_app.config.get("LOAD_DEMO_DATA"):
        _seed_demo(password)
    else:
        click.echo("LOAD_DEMO_DATA is off: no demo data loaded")


@eplan.command("rotate-keys")
@click.option(
    "--now",
    "immediate",
    is_flag=True,
    help="Sign with the new key at once (a suspected key compromise), not after the "
    "publication lead; relying parties that cached the JWKS must read it again.",
)
def rotate_keys_command(immediate: bool) -> None:
    """Publish the next ID token signing key; it signs after OIDC_SIGNING_KEY_PUBLICATION_SECONDS.
    The old key signs until then and stays published until its tokens expire."""
    row = keys.rotate_signing_key(immediate=immediate)
    click.echo(
        f"signing key {row.kid} is published and signs from {row.sign_after:%Y-%m-%d %H:%M:%S %Z}; "
        f"published keys: {', '.join(k.kid for k in keys.published_keys())}"
    )


@eplan.command("reseal")
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows re-sealed per transaction.",
)
def reseal_command(batch_size: int) -> None:
    """Seal every encrypted value again under the first data key (EPLAN_DATA_KEYS); recompute
    the citizen ID digests. Run after putting a new key first; then the old keys can go."""
    report = resealing.reseal_all(batch_size=batch_size)
    for name, column in report.columns.items():
        moved = ", ".join(f"{n} from {kid}" for kid, n in sorted(column.resealed.items())) or "none"
        line = f"{name}: {column.checked} checked, re-sealed under {report.key_id}: {moved}"
        if column.has_digest:
            line += f"; digests recomputed: {column.digests_recomputed}"
        click.echo(line)
        if column.unreadable:
            click.echo(
                f"UNREADABLE {name}: row ids {', '.join(map(str, column.unreadable))} "
                "open with no key in EPLAN_DATA_KEYS"
            )
    if report.unreadable:
        raise click.exceptions.Exit(1)


clients = AppGroup("clients", help="Systems that sign in through the SSO (OIDC clients) and their addresses.")
eplan.add_command(clients)


@clients.command("list")
def clients_list_command() -> None:
    """Each client with the addresses it may be sent back to."""
    for client in oidc_clients.list_clients():
        state = "active" if client["is_active"] else "inactive"
        click.echo(f"{client['client_id']}  ({client['name']}, {state})")
        for uri in client["redirect_uris"]:
            click.echo(f"    after sign-in:  {uri}")
        for uri in client["post_logout_redirect_uris"]:
            click.echo(f"    after sign-out: {uri}")


@clients.command("add-uri")
@click.argument("client_id")
@click.argument("uri")
@click.option("--after-logout", is_flag=True, help="An address after sign-out, not after sign-in.")
def clients_add_uri_command(client_id: str, uri: str, after_logout: bool) -> None:
    """Let CLIENT_ID be sent back to URI (e.g. e-Plan served on another host or port); audited."""
    try:
        oidc_clients.add_redirect_uri(None, client_id, uri, after_logout=after_logout)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"{client_id}: {uri} added")


@clients.command("remove-uri")
@click.argument("client_id")
@click.argument("uri")
@click.option("--after-logout", is_flag=True, help="An address after sign-out, not after sign-in.")
def clients_remove_uri_command(client_id: str, uri: str, after_logout: bool) -> None:
    """Stop sending CLIENT_ID back to URI; audited."""
    try:
        oidc_clients.remove_redirect_uri(None, client_id, uri, after_logout=after_logout)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"{client_id}: {uri} removed")


rollups_group = AppGroup("rollups", help="The oversight rollups (each LAO's figures per fiscal year).")
eplan.add_command(rollups_group)


@rollups_group.command("refresh")
def rollups_refresh_command() -> None:
    """Take every committed change into the rollups now (the scheduler does it every 10 s)."""
    click.echo(f"LAOs refreshed: {rollups.refresh_all()}")


@rollups_group.command("rebuild")
def rollups_rebuild_command() -> None:
    """Recompute every LAO's figures (after loading data with the triggers off, or to check)."""
    marked = rollups.mark_all()
    click.echo(f"LAOs noted: {marked}; refreshed: {rollups.refresh_all()}")
