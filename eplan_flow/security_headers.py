"""Browser-side defences on every response: Content-Security-Policy, no framing, no sniffing, and
referrers that never carry a URL (with its tokens) to another site.

The pages need no third-party assets: ours and Flask-Admin's scripts, styles and fonts are served
from this origin (Flask-Admin ships Bootstrap, jQuery, Select2 and its swatches in its own
``static``). Inline ``<script>`` and ``<style>`` elements carry the per-response nonce of
``csp_nonce()`` (a template global; Flask-Admin gets it as its ``csp_nonce_generator``), so
``'unsafe-inline'`` is never granted to scripts.

Concessions, each narrow:
- ``style-src-attr 'unsafe-inline'``: a few templates size a panel with a ``style`` attribute. An
  attribute can style but not run code, and Jinja's escaping keeps visitors' text out of them.
- ``'unsafe-hashes'`` with the hashes of ``return false;`` and ``javascript:void(0)``: Flask-Admin's
  menus and filter items carry that inline handler and that link target; only those exact no-op
  texts may run (Chromium checks a ``javascript:`` link against the hash of the whole URL).
- State diagrams need nothing: they are inline SVG drawn on the server, styled by attributes.
- ``Referrer-Policy: same-origin``, not ``no-referrer``: Flask-WTF checks the Referer of every form
  over HTTPS against our own host; no other site ever receives one.
- No ``form-action``: signing in posts to, or redirects through, the configured SSO and ThaiD, whose
  origins the browser checks against ``form-action`` on redirects too.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from flask import Flask, g

# Flask-Admin 2.2's menus: <a href="javascript:void(0)" ... onclick="return false;">.
_ADMIN_INLINE_HANDLERS = ("return false;", "javascript:void(0)")


def _hash_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


ADMIN_HANDLER_HASHES = tuple(_hash_source(text) for text in _ADMIN_INLINE_HANDLERS)

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def csp_nonce() -> str:
    """This response's nonce for inline ``<script>``/``<style>`` elements (made on first use)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str | None) -> str:
    """The policy for one response; ``nonce`` when the page rendered inline elements."""
    nonce_source = [f"'nonce-{nonce}'"] if nonce else []
    scripts = ["'self'", *nonce_source, "'unsafe-hashes'", *ADMIN_HANDLER_HASHES]
    styles = ["'self'", *nonce_source]
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": styles,
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # Bootstrap's CSS draws its icons as data: SVGs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def init_app(app: Flask) -> None:
    """Send the headers on every response (pages, JSON, back office, static files, errors)."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    headers = dict(HEADERS)
    if str(app.config.get("BASE_URL") or "").startswith("https://"):
        # Served over TLS (production requires it): browsers never try plain HTTP again for a
        # year, so a network attacker cannot strip TLS from a later visit.
        headers["Strict-Transport-Security"] = "max-age=31536000"

    @app.after_request
    def set_security_headers(response):
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault(
            "Content-Security-Policy",
            content_security_policy(g.get("csp_nonce")),
        )
        return response
