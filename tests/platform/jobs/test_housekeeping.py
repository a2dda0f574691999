"""The nightly purge deletes what has expired and keeps what may still matter, through a real worker."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from eplan_flow.jobs.schedule import SCHEDULE
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import AuditEvent, EmailMessage, OutboxMessage
from eplan_flow.models._types import utcnow
from eplan_flow.models.oidc import OAuth2AuthorizationCode, OAuth2Token
from eplan_flow.services.platform import queues

DAY = 24 * 3600


def rows(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_purge_deletes_only_expired_codes_tokens_old_outbox_rows_and_old_mail(app, db, world):
    now = int(time.time())
    user = world.planner
    for code, expires in (("old", now - 2 * DAY), ("recent", now - 60), ("live", now + 60)):
        db.session.add(
            OAuth2AuthorizationCode(
                code=code,
                client_id="eplan",
                user_id=user.id,
                expires_at=expires,
                auth_time=now,
            )
        )
    for name, issued, refresh_until in (
        ("gone", now - 3 * DAY, now - 2 * DAY),  # access and refresh long expired
        ("refreshable", now - 3 * DAY, now + DAY),  # access expired, refresh still valid
        ("fresh", now, now + DAY),
    ):
        db.session.add(
            OAuth2Token(
                client_id="eplan",
                token_type="Bearer",
                access_token=name,
                refresh_token=f"r-{name}",
                issued_at=issued,
                expires_in=300,
                user_id=user.id,
                family=name,
                refresh_token_expires_at=refresh_until,
            )
        )
    long_ago = utcnow() - timedelta(days=120)
    db.session.add_all(
        [
            OutboxMessage(
                queue="default",
                job="notify_next_actors",
                kwargs={},
                state="relayed",
                attempts=1,
                relayed_at=long_ago,
                created_at=long_ago,
            ),
            OutboxMessage(
                queue="default",
                job="notify_next_actors",
                kwargs={},
                state="pending",
                attempts=0,
                created_at=long_ago,
            ),
            EmailMessage(to="a@example.org", subject="old", body="x", status="sent", created_at=long_ago),
            EmailMessage(
                to="a@example.org", subject="waiting", body="x", status="queued", created_at=long_ago
            ),
        ]
    )
    db.session.commit()
    audit_before = rows(db, AuditEvent)

    for _ in range(2):  # a second run (a restarted scheduler) deletes nothing more
        queues.enqueue("default", "purge_expired", {}, f"purge-{_}")
        make_worker(app, fork=False).work(burst=True)
        db.session.expire_all()

    # A code expired a minute ago is kept a day, so its replay still revokes what it gave.
    assert sorted(db.session.scalars(select(OAuth2AuthorizationCode.code))) == ["live", "recent"]
    assert sorted(db.session.scalars(select(OAuth2Token.family))) == ["fresh", "refreshable"]
    assert db.session.scalars(select(OutboxMessage.state)).all() == ["pending"]
    assert db.session.scalars(select(EmailMessage.subject)).all() == ["waiting"]
    assert rows(db, AuditEvent) == audit_before


def test_the_purge_is_on_the_nightly_schedule():
    assert {"job": "purge_expired", "queue": "default", "cron": "30 2 * * *"} in SCHEDULE
