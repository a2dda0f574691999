"""What a 2,000-project ผ.02 PDF costs next to the same plan's ผ.02 HTML page, in one run.

    python bench/bench_pdf.py [--projects 2000] [--repeat 3]

On PostgreSQL (EPLAN_BENCH_DATABASE_URL, default database eplan_bench_pdf: created and migrated if
missing, its schema rebuilt at each run), it bulk-inserts an announced plan of N projects, all the
LAO's own (one ผ.02 of N rows; the plan of bench/plans.py), then alternates, round after round:
(a) GET /plans/<id>/p02 through the Flask test client, signed in as the LAO's planner, and (b) the
background job that renders the same list as PDF (``jobs.run``: the data, the HTML, WeasyPrint's
layout and the file under a temporary instance folder). Each measurement runs in a forked child,
so its peak memory is its own: the child's maximum resident set (``wait4``; it includes what the
parent had resident, printed as the baseline of a child that does nothing). Wall and CPU time are
both printed (other work on the machine stretches the wall time). ``--python-peak`` adds a second
pass of each under ``tracemalloc`` for the peak of Python allocations (WeasyPrint's Pango and
HarfBuzz allocate outside it, and tracing slows it several times, so it is never timed). It prints
the medians and the ratios PDF/HTML. Figures only: never an assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

# ``python bench/<script>.py`` puts bench/ first on sys.path, where bench/http.py would shadow the
# standard library's http: the repository's root takes its place (bench.* is imported from there).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.common import make_bench_app, reset_schema
from bench.plans import PASSWORD, ensure_database, set_up

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eplan_bench_pdf"


def in_child(app, work, trace: bool = False) -> dict:
    """Run ``work(app)`` in a forked child; return its figures with the child's peak RSS (KiB), and
    with ``trace`` the peak of its Python allocations instead of times."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        code = 0
        try:
            from eplan_flow.extensions import db

            with app.app_context():
                db.engine.dispose(close=False)  # never share the parent's pooled connections
            if trace:
                tracemalloc.start()
            cpu = time.process_time()
            figures = work(app)
            figures["cpu_seconds"] = time.process_time() - cpu
            if trace:
                figures["python_peak_kib"] = tracemalloc.get_traced_memory()[1] / 1024
                tracemalloc.stop()
        except BaseException as exc:  # report, never fall back into the parent's code
            figures, code = {"error": repr(exc)}, 1
        with os.fdopen(write_end, "w") as out:
            json.dump(figures, out)
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as source:
        figures = json.loads(source.read() or "{}")
    _pid, _status, usage = os.wait4(pid, 0)
    if "error" in figures:
        raise SystemExit(f"the measurement failed: {figures['error']}")
    figures["max_rss_kib"] = usage.ru_maxrss
    return figures


def html_page(plan_id: int):
    def work(app) -> dict:
        client = app.test_client()
        base = app.config["BASE_URL"]  # a Host the app serves
        response = client.post(
            "/auth/login", data={"username": "bench_planner", "password": PASSWORD}, base_url=base
        )
        assert response.status_code == 302, f"bench sign-in failed: {response.status_code}"
        started = time.perf_counter()
        response = client.get(f"/plans/{plan_id}/p02", base_url=base)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"the ผ.02 page answered {response.status_code}")
        return {"seconds": seconds, "bytes": len(response.data)}

    return work


def pdf_job(job_id: int):
    def work(app) -> dict:
        from pypdf import PdfReader

        from eplan_flow.extensions import db
        from eplan_flow.models import DocumentJob
        from eplan_flow.services.documents import jobs

        with tempfile.TemporaryDirectory() as folder:
            app.instance_path = folder
            with app.app_context():
                started = time.perf_counter()
                status = jobs.run(job_id)
                seconds = time.perf_counter() - started
                job = db.session.get_one(DocumentJob, job_id)
                path = Path(folder) / (job.file_path or "missing")
                if status != "done" or not path.is_file():
                    raise RuntimeError(f"the job ended {status}: {job.error}")
                pages = len(PdfReader(path).pages)
                return {"seconds": seconds, "bytes": path.stat().st_size, "pages": pages}

    return work


def nothing(app) -> dict:
    return {"seconds": 0.0}


def prepare_job(app, plan_id: int) -> int:
    """A queued ผ.02 job of the planner, written directly (asking through ``jobs.request`` would build
    the document in this parent and swell the children's baseline); each round resets it."""
    from eplan_flow.extensions import db
    from eplan_flow.models import DocumentJob, User

    with app.app_context():
        planner = db.session.scalars(sa.select(User).where(User.username == "bench_planner")).one()
        job = DocumentJob(
            requested_by_id=planner.id,
            document="p02",
            params={"plan_id": plan_id, "version": None, "source": "own"},
            format="pdf",
            title="ผ.02 bench",
            status="queued",
            progress=0,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        db.session.remove()
    return job_id


def reset_job(app, job_id: int) -> None:
    from eplan_flow.extensions import db
    from eplan_flow.models import DocumentJob

    with app.app_context():
        db.session.execute(
            sa.update(DocumentJob)
            .where(DocumentJob.id == job_id)
            .values(status="queued", progress=0, file_path=None, finished_at=None)
        )
        db.session.commit()
        db.session.remove()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median reported)")
    parser.add_argument("--python-peak", action="store_true", help="also trace Python allocations")
    args = parser.parse_args(argv)

    url = os.environ.get("EPLAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    ensure_database(url)
    app = make_bench_app(url)
    reset_schema(app)
    started = time.perf_counter()
    ids = set_up(app, args.projects)
    from eplan_flow.extensions import db

    with app.app_context():
        # One ผ.02 of every project: bench/plans.py spreads them over the four lists.
        db.session.execute(sa.text("UPDATE project_record SET source = 'own'"))
        db.session.commit()
        db.engine.dispose()
    plan_id = ids["plan_id"]
    job_id = prepare_job(app, plan_id)
    print(
        f"set up a plan of {args.projects} projects (one ผ.02) in {time.perf_counter() - started:.1f}s on "
        f"{make_url(url).render_as_string(hide_password=True)}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    baseline = in_child(app, nothing)["max_rss_kib"]
    html_runs, pdf_runs = [], []
    for _ in range(args.repeat):
        html_runs.append(in_child(app, html_page(plan_id)))
        reset_job(app, job_id)
        pdf_runs.append(in_child(app, pdf_job(job_id)))

    def median(runs, key):
        return statistics.median(run[key] for run in runs)

    html_s, pdf_s = median(html_runs, "seconds"), median(pdf_runs, "seconds")
    html_cpu, pdf_cpu = median(html_runs, "cpu_seconds"), median(pdf_runs, "cpu_seconds")
    html_rss, pdf_rss = median(html_runs, "max_rss_kib"), median(pdf_runs, "max_rss_kib")
    print(
        f"median of {args.repeat} rounds (each in a fresh child; child baseline RSS {baseline / 1024:.0f} MiB):"
    )
    print(
        f"  ผ.02 HTML page (test client)  {html_s:8.2f} s wall {html_cpu:8.2f} s CPU"
        f"   peak RSS {html_rss / 1024:6.0f} MiB (+{(html_rss - baseline) / 1024:.0f})"
        f"   {median(html_runs, 'bytes') / 1024:.0f} KiB of HTML"
    )
    print(
        f"  ผ.02 PDF job (jobs.run)       {pdf_s:8.2f} s wall {pdf_cpu:8.2f} s CPU"
        f"   peak RSS {pdf_rss / 1024:6.0f} MiB (+{(pdf_rss - baseline) / 1024:.0f})"
        f"   {median(pdf_runs, 'bytes') / 1024:.0f} KiB, {pdf_runs[-1]['pages']} A4 pages"
        f" ({pdf_cpu / pdf_runs[-1]['pages']:.2f} s CPU a page)"
    )
    print(
        f"  ratios PDF/HTML: wall {pdf_s / html_s:.1f}x, CPU {pdf_cpu / html_cpu:.1f}x, "
        f"peak RSS above baseline {(pdf_rss - baseline) / max(1, html_rss - baseline):.1f}x"
    )
    if args.python_peak:
        html_py = in_child(app, html_page(plan_id), trace=True)["python_peak_kib"]
        reset_job(app, job_id)
        pdf_py = in_child(app, pdf_job(job_id), trace=True)["python_peak_kib"]
        print(
            f"  Python allocations at their peak: HTML {html_py / 1024:.0f} MiB, PDF {pdf_py / 1024:.0f} MiB"
            f" ({pdf_py / html_py:.1f}x)"
        )


if __name__ == "__main__":
    main()
