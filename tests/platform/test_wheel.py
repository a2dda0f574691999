"""The release path: sdist, the wheel built from it, installed in a fresh venv from the lockfile.

A wheel once lacked a blueprint package (create_app failed on import) and the compiled catalogues
(every page in English msgids). So the wheel is built as a release is, installed beside nothing but
requirements/production.lock, and run with its own console script and gunicorn, on each supported
Python: the checkout and the test venv are never on its path.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from uv import find_uv_bin

ROOT = Path(__file__).resolve().parents[2]
LOCKFILE = ROOT / "requirements" / "production.lock"
# The Pythons pyproject.toml declares, oldest and newest: the one this suite runs on, and pyenv's 3.13.
PYTHONS = {"3.11": sys.executable, "3.13": "/root/.pyenv/versions/3.13.0/bin/python"}
PORTS = range(5331, 5341)
# Variables of the test run that must not reach the installed app: it gets its own below.
LEAKS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "FLASK_APP", "FLASK_DEBUG")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """``python -m build``: the sdist from the checkout, then the wheel from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--installer", "uv", "--outdir", out, ROOT, cwd=out)
    (sdist,) = out.glob("eplan_flow-*.tar.gz")
    (wheel,) = out.glob("eplan_flow-*-py3-none-any.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_the_wheel_carries_every_module_template_static_file_migration_and_compiled_catalogue(dist):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        files = {name: wheel.read(name) for name in wheel.namelist()}
    with tarfile.open(dist["sdist"]) as sdist:
        in_sdist = sdist.getnames()
    names = set(files)
    checkout = [
        *(
            p.relative_to(ROOT).as_posix()
            for top in ("eplan_flow", "workflows", "admin")
            for p in (ROOT / top).rglob("*.py")
        ),
        *(
            "eplan_flow/templates/" + p.relative_to(ROOT / "templates").as_posix()
            for p in (ROOT / "templates").rglob("*.html")
        ),
        *(p.relative_to(ROOT).as_posix() for p in (ROOT / "eplan_flow" / "static").rglob("*") if p.is_file()),
    ]
    assert [name for name in checkout if name not in names] == []
    for needed in (
        "eplan_flow/oidc/__init__.py",
        "eplan_flow/wsgi.py",
        "eplan_flow/templates/base.html",
        "eplan_flow/static/css/app.css",
        "eplan_flow/migrations/env.py",
        "eplan_flow/migrations/alembic.ini",
        "eplan_flow/migrations/script.py.mako",
        "eplan_flow/seed/national_catalogues.csv",
    ):
        assert needed in names
    assert any(re.fullmatch(r"eplan_flow/migrations/versions/0001_\w+\.py", n) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert "eplan = eplan_flow.console:main" in files["eplan_flow-0.1.0.dist-info/entry_points.txt"].decode()

    # .mo files are build products: not in git, not in the sdist, compiled into the wheel.
    assert [n for n in in_sdist if n.endswith(".mo")] == []
    assert "eplan_flow-0.1.0/eplan_flow/translations/th/LC_MESSAGES/messages.po" in in_sdist
    catalogues = {
        "eplan_flow/translations/th/LC_MESSAGES/messages.mo": ("Sign in", "เข้าสู่ระบบ"),
        "eplan_flow/translations/en/LC_MESSAGES/messages.mo": None,
        "eplan_flow/translations_admin/th/LC_MESSAGES/admin.mo": ("Save", "บันทึก"),
    }
    for name, pair in catalogues.items():
        catalogue = read_mo(BytesIO(files[name]))
        assert len(catalogue) > 0, name
        if pair is not None:
            assert catalogue[pair[0]].string == pair[1]


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port in {PORTS}")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


def _wait_for(url: str, server: subprocess.Popen, log: Path) -> None:
    # Not a timing assertion: a bound on waiting for a server that may never come up.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, f"gunicorn exited {server.returncode}:\n{log.read_text()}"
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer {url}:\n{log.read_text()}")


@pytest.mark.parametrize("python", PYTHONS.values(), ids=PYTHONS.keys())
def test_the_wheel_installed_from_the_lockfile_sets_up_and_serves_thai_and_english_pages(
    dist, python, tmp_path
):
    assert Path(python).is_file(), f"{python} is missing: pyproject.toml declares that Python"
    venv = tmp_path / "venv"
    uv = find_uv_bin()
    _run(uv, "venv", "--quiet", "--python", python, venv, cwd=tmp_path)
    # As the README installs a release (uv's pip, for speed; pip takes the same arguments): the
    # hashed pins, then the wheel with nothing more.
    pip = [uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python"]
    _run(*pip, "--require-hashes", "--no-deps", "-r", LOCKFILE, cwd=tmp_path)
    _run(*pip, "--no-deps", dist["wheel"], cwd=tmp_path)
    # The lockfile satisfies every requirement the wheel declares (else: `make lock`).
    _run(uv, "pip", "check", "--python", venv / "bin" / "python", cwd=tmp_path)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EPLAN_") and k not in LEAKS}
    env |= {
        "EPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'eplan.sqlite3'}",
        "EPLAN_BASE_URL": base,
        "EPLAN_LOAD_DEMO_DATA": "false",
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    }
    # The console script, outside the checkout: only the installed package can be imported.
    setup = _run(venv / "bin" / "eplan", "setup", cwd=tmp_path, env=env)
    assert "database schema is up to date" in setup
    assert "catalogues: " in setup

    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                venv / "bin" / "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "eplan_flow.wsgi:app",
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(f"{base}/auth/login", server, log)
        thai = _get(f"{base}/auth/login")
        english = _get(f"{base}/auth/login?lang=en")
    finally:
        server.terminate()
        server.wait(timeout=60)

    assert re.search(r"<h1>\s*เข้าสู่ระบบ\s*</h1>", thai), thai
    assert re.search(r"<h1>\s*Sign in\s*</h1>", english), english
    assert "เข้าสู่ระบบ</h1>" not in english
