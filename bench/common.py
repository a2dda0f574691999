"""What the page benchmarks share: an app on the bench database and a freshly migrated schema."""

from __future__ import annotations

import sqlalchemy as sa


def make_bench_app(url: str):
    """An app on ``url`` with jobs off (the page is measured, not Redis) and the dev sign-in on.

    Nor does it start the threads a Redis-less web process starts on its first request (the outbox
    sweep and the periodic jobs, among them the rollups' refresh every 10 s), so nothing refreshes
    or relays behind a bench's back while it measures."""
    from eplan_flow import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": None,
            "OUTBOX_RELAY_ON_COMMIT": False,
            "OUTBOX_SWEEP_SECONDS": 0,
            "IN_PROCESS_PERIODIC_JOBS": {},
            "LOAD_DEMO_DATA": False,
            "WTF_CSRF_ENABLED": False,
            # The benches sign their reader in through the development login form.
            "DEV_LOGIN_ENABLED": True,
        }
    )


def add_people(session, org_id: int, roles, password_hash: str) -> dict:
    """One person per role at the LAO ``org_id`` (``bench_<role>``), each with that role: by role."""
    from eplan_flow.models import RoleGrant, User

    users = {}
    for role in roles:
        user = User(
            username=f"bench_{role}",
            email=f"{role}@bench.test",
            full_name=f"คุณ {role}",
            organisation_id=org_id,
            password_hash=password_hash,
        )
        session.add(user)
        session.flush()
        session.add(RoleGrant(user_id=user.id, organisation_id=org_id, role=role))
        users[role] = user
    return users


def reset_schema(app) -> None:
    """Drop everything and migrate from scratch."""
    from flask_migrate import upgrade

    from eplan_flow.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


# -- gunicorn in production configuration (bench/http.py) ----------------------------------------------
# The production smoke test (tests/platform/test_production_smoke.py) uses the certificate too.


def self_signed_certificate(directory):
    """A certificate for 127.0.0.1 (its own issuer) and its key as PEM files: (cert path, key path).

    Production refuses a base URL that is not https://, and with no TLS-terminating proxy in front
    gunicorn serves HTTPS itself (EPLAN_CERTFILE, EPLAN_KEYFILE)."""
    import datetime
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eplan bench")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def production_secrets() -> dict[str, str]:
    """Fresh random keys of the kinds production requires (config names, without EPLAN_)."""
    import base64
    import secrets

    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_KEYS": "b1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "CITIZEN_ID_DIGEST_KEY": secrets.token_urlsafe(48),
        "AUDIT_KEY": secrets.token_urlsafe(48),
        "METRICS_TOKEN": secrets.token_urlsafe(36),
    }


def production_config(database_url: str, redis_url: str, base_url: str, keys: dict[str, str]) -> dict:
    """What compose.yaml's ``eplan-environment`` sets, as config names (without EPLAN_)."""
    return {
        "ENV_NAME": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BASE_URL": base_url,
        "LOG_FORMAT": "json",
        **keys,
    }


def production_environment(config: dict, **web: str) -> dict[str, str]:
    """The process environment for ``config`` (EPLAN_ENV and EPLAN_* variables) plus ``web``
    (gunicorn's EPLAN_BIND, EPLAN_CERTFILE...), without EPLAN_/FLASK_ variables of this shell."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("EPLAN_", "FLASK_", "PROMETHEUS_"))}
    for name, value in config.items():
        env["EPLAN_ENV" if name == "ENV_NAME" else f"EPLAN_{name}"] = str(value)
    env.update(web)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def mint_session_cookie(
    app, user_id: int, user_agent: str, remote_addr: str = "127.0.0.1"
) -> tuple[str, str]:
    """A signed-in browser session for ``user_id``, made as the sign-in makes one (Flask-Login's
    ``login_user`` and a server-side sign-in from ``services.identity.sessions``), without the SSO
    round trip; returns the cookie's (name, value). Flask-Login's "strong" protection ties it to
    ``user_agent`` and ``remote_addr``, which the client must then send from."""
    from flask import session
    from flask_login import login_user

    from eplan_flow.auth import SESSION_ID_KEY
    from eplan_flow.extensions import db
    from eplan_flow.models import User
    from eplan_flow.services.identity import sessions

    with app.test_request_context(
        "/", headers={"User-Agent": user_agent}, environ_base={"REMOTE_ADDR": remote_addr}
    ):
        login_user(db.session.get(User, user_id))
        session[SESSION_ID_KEY] = sessions.start(user_id, sessions.EPLAN)
        value = app.session_interface.get_signing_serializer(app).dumps(dict(session))
        db.session.remove()
    return app.config["SESSION_COOKIE_NAME"], value
