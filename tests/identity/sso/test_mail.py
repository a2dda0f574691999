"""The email outbox: messages written with their transaction, delivered by a job after commit (over
SMTP to a local sink written here, or kept when no server is set), at most once per dedupe key."""

from __future__ import annotations

import socket
import socketserver
import threading

import pytest
from sqlalchemy import select

from eplan_flow.extensions import db as _db
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import EmailMessage, OutboxMessage
from eplan_flow.services.platform import mail, queues
from eplan_flow.services.platform.unit_of_work import transaction
from tests import factories


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take messages: each delivered message is kept in ``messages``."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[dict] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        envelope = {"from": None, "to": [], "data": b""}
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                envelope["from"] = command.partition(":")[2].strip()
                self.reply("250 ok")
            elif verb == "RCPT":
                envelope["to"].append(command.partition(":")[2].strip())
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                chunks = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    chunks.append(chunk)
                envelope["data"] = b"".join(chunks)
                self.server.messages.append(dict(envelope))
                envelope = {"from": None, "to": [], "data": b""}
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.shutdown()
    sink.server_close()
    thread.join(timeout=5)


def work(app):
    make_worker(app, fork=False).work(burst=True)


def message(message_id: int) -> EmailMessage:
    return _db.session.execute(
        select(EmailMessage).where(EmailMessage.id == message_id).execution_options(populate_existing=True)
    ).scalar_one()


def test_a_queued_message_exists_only_if_the_callers_transaction_commits(app, db):
    with pytest.raises(RuntimeError), transaction():
        mail.queue_mail("a@example.test", "ทดสอบ", "body")
        raise RuntimeError("the use case fails after queueing its mail")
    assert _db.session.query(EmailMessage).count() == 0 and _db.session.query(OutboxMessage).count() == 0
    # The rolled-back row's id is forgotten: nothing is left to relay.
    assert "eplan_outbox_pending" not in _db.session.info and "eplan_outbox_committed" not in _db.session.info
    with transaction():
        queued = mail.queue_mail("a@example.test", "ทดสอบ", "body", user_id=None)
    # Relayed right after the commit, with nobody calling the relay.
    _db.session.expire_all()
    outbox_row = _db.session.execute(select(OutboxMessage)).scalar_one()
    assert (outbox_row.job, outbox_row.kwargs, outbox_row.state) == (
        "send_email",
        {"message_id": queued.id},
        "relayed",
    )
    assert queues.queue("default").job_ids == [f"outbox-{outbox_row.id}"]


def test_a_dedupe_key_queues_a_message_at_most_once(app, db):
    first = mail.queue_mail("a@example.test", "s", "b", dedupe_key="deadline:plan:1:14d:user:7")
    assert mail.queue_mail("a@example.test", "s", "b", dedupe_key="deadline:plan:1:14d:user:7") is None
    _db.session.commit()
    assert mail.queue_mail("a@example.test", "s", "b", dedupe_key="deadline:plan:1:14d:user:7") is None
    assert mail.queue_mail("a@example.test", "s", "b", dedupe_key="deadline:plan:1:3d:user:7") is not None
    _db.session.commit()
    assert [m.id for m in _db.session.query(EmailMessage).order_by(EmailMessage.id)][0] == first.id
    assert _db.session.query(EmailMessage).count() == 2


def test_without_a_mail_server_the_job_keeps_the_message_for_people_to_read(app, db):
    world = factories.build_world()
    with transaction():
        queued = mail.queue_mail(world.planner.email, "ยืนยันอีเมล", "ลิงก์", user_id=world.planner.id)
    message_id = queued.id
    _db.session.remove()
    work(app)
    kept = message(message_id)
    assert (kept.status, kept.attempts, kept.sent_at, kept.last_error) == ("kept", 1, None, None)


def test_with_a_mail_server_the_job_sends_over_smtp_once(make_sso_app, smtp_sink):
    app = make_sso_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, MAIL_FROM="e-Plan <no-reply@dla.example>"
    )
    with app.app_context():
        with transaction():
            queued = mail.queue_mail(
                "สมชาย <somchai@lao.example.test>",
                "ยืนยันอีเมล บัญชี SSO",
                "เรียน คุณสมชาย\nhttps://sso.example/sso/confirm/abc\n",
            )
        message_id = queued.id
        _db.session.remove()
    work(app)
    assert len(smtp_sink.messages) == 1
    delivered = smtp_sink.messages[0]
    assert delivered["from"] == "<no-reply@dla.example>"
    assert delivered["to"] == ["<somchai@lao.example.test>"]
    assert f"Message-ID: <eplan-mail-{message_id}@dla.example>".encode() in delivered["data"]
    with app.app_context():
        sent = message(message_id)
        assert (sent.status, sent.attempts) == ("sent", 1) and sent.sent_at is not None
        # At least once from the outbox, but a message already sent is not sent again.
        assert mail.deliver(message_id) == "sent"
        _db.session.remove()
    assert len(smtp_sink.messages) == 1


def test_an_unreachable_mail_server_is_recorded_and_raised_for_the_queue_to_retry(make_sso_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app = make_sso_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    with app.app_context():
        queued = mail.queue_mail("a@example.test", "s", "b")
        _db.session.commit()
        with pytest.raises(OSError):
            mail.deliver(queued.id)
        failed = message(queued.id)
        assert (failed.status, failed.attempts) == ("queued", 1)
        assert "ConnectionRefusedError" in failed.last_error
        _db.session.remove()
