# eplan-flow's production image: one image for every process of the layout in compose.yaml
# (web: gunicorn; worker: `eplan worker`; scheduler: `eplan scheduler`; migrate: `eplan setup`).
#
#   docker build -t eplan-flow .
#
# The commands are the ones tests/platform/test_production_smoke.py runs from a checkout's venv.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: the wheel, with its compiled translations (setup.py compiles every .po) -------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m pip install 'build>=1.2,<2'
COPY . .
RUN python -m build --wheel --outdir /dist . \
    && python -m zipfile -l /dist/eplan_flow-*.whl | grep -q 'translations/en/LC_MESSAGES/messages.mo'

# -- runtime --------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# Debian's libraries, not pip's: WeasyPrint draws PDFs through Pango and HarfBuzz (libthai breaks
# Thai lines), Graphviz draws the state diagrams with a Thai font (the PDFs use Sarabun, shipped as
# a Python package), and postgresql-client runs scripts/backup.sh and restore.sh.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libthai0 \
        libfontconfig1 \
        graphviz fonts-tlwg-laksaman \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Exactly the versions of the lockfile (hashes checked), then the app's wheel without resolving again;
# `pip check` fails the build if the lock and the wheel's dependencies disagree.
COPY requirements/production.lock /tmp/production.lock
RUN python -m pip install --require-hashes --no-deps -r /tmp/production.lock && rm /tmp/production.lock
COPY --from=build /dist/ /tmp/dist/
RUN python -m pip install --no-deps /tmp/dist/eplan_flow-*.whl && rm -rf /tmp/dist && python -m pip check

# The operators' scripts: database roles, backup and restore.
COPY scripts/db-roles.sql scripts/backup.sh scripts/restore.sh /opt/eplan/scripts/

# No root at run time. Flask's instance folder of the installed package holds what web and workers
# share (attachments, rendered documents, uploaded workbooks): compose.yaml mounts one volume there.
RUN useradd --system --uid 10001 --user-group --home-dir /home/eplan --create-home eplan \
    && install -d -o eplan -g eplan /usr/local/var/eplan_flow-instance /var/backups/eplan
USER eplan
WORKDIR /home/eplan

ENV EPLAN_ENV=production \
    EPLAN_BIND=0.0.0.0:8000 \
    EPLAN_LOG_FORMAT=json
EXPOSE 8000
# Each service of compose.yaml names its own command; this one is the web server's.
CMD ["gunicorn", "-c", "python:eplan_flow.gunicorn_conf", "eplan_flow.wsgi:app"]
