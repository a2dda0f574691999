"""The RQ worker process: builds the app once and relays the outbox beside the worker."""
from __future__ import annotations

import logging
import threading
import time

from rq import Worker
from rq.serializers import JSONSerializer

from eplan_flow.jobs import queues

log = logging.getLogger(__name__)


def relay_forever(app, interval: float, stop: threading.Event) -> None:
    """Relay pending outbox messages every ``interval`` seconds, surviving Redis outages."""
    from eplan_flow.extensions import db
    from eplan_flow.services import outbox

    while not stop.is_set():
        with app.app_context():
            try:
                outbox.relay()
            except Exception:
                log.exception("outbox relay failed; retrying in %ss", interval)
            finally:
                db.session.remove()
        stop.wait(interval)


def run_worker(app, burst: bool = False, relay_interval: float = 2.0) -> None:
    """Work the configured queues (with RQ's scheduler for retries) until stopped."""
    if not app.config.get("REDIS_URL"):
        raise SystemExit("EPLAN_REDIS_URL is not set: without Redis, jobs run inside the web process")
    stop = threading.Event()
    relay = threading.Thread(target=relay_forever, args=(app, relay_interval, stop), daemon=True)
    relay.start()
    try:
        with app.app_context():
            conn = queues.redis_connection(app)
            worker = Worker(
                [queues.queue(name, app) for name in app.config["JOB_QUEUES"]],
                connection=conn,
                serializer=JSONSerializer,
            )
            worker.work(with_scheduler=True, burst=burst)
    finally:
        stop.set()
        time.sleep(0)
