"""Small helpers the blueprints share, and the app-wide guards on what a request may carry."""

import unicodedata
from urllib.parse import urlsplit

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from jinja2 import TemplateError
from werkzeug.urls import iri_to_uri

from eplan_flow import text
from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_PATH_PREFIXES = ("/api/",)
MAX_PAGE = 100_000


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a body nested too deeply to parse refused like any malformed body.

    ``json.loads`` gives up on "[[[[..." 100,000 deep with RecursionError, which is no ValueError,
    so ``request.get_json`` would let it through as a 500; as a ValueError it becomes a 400.
    """

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None


def asked_version_or_404(plan) -> int:
    """The plan version a form page was asked for (``?version=``): default the one in force; a plan
    never announced shows its draft, 1; any other number is a 404."""
    asked = request.args.get("version", type=int)
    if plan.current_version == 0:
        if asked not in (None, 1):
            abort(404)
        return 1
    if asked is None:
        return plan.current_version
    if not 1 <= asked <= plan.current_version:
        abort(404)
    return asked


def init_app(app: Flask) -> None:
    """Parse JSON safely everywhere; refuse JSON bodies where only forms are expected, and page
    numbers no list has."""
    provider = SafeJSONProvider(app)
    for setting in ("ensure_ascii", "sort_keys", "compact", "mimetype"):
        setattr(provider, setting, getattr(app.json, setting))
    app.json = provider

    @app.before_request
    def refuse_json_bodies_outside_the_api():
        # Flask-WTF reads a JSON body as form data: a list, a number or a nested object there
        # reaches the fields as something no form expects (a TypeError, a 500). Browsers post
        # forms; only the JSON API takes JSON.
        if (
            request.method in BODY_METHODS
            and request.is_json
            and not request.path.startswith(JSON_PATH_PREFIXES)
        ):
            abort(415)

    @app.before_request
    def refuse_absurd_page_numbers():
        # Every list reads ``?page=`` with ``type=int``, and a page past PostgreSQL's bigint
        # OFFSET fails in the database (a 500); digits other than 0-9 and ๐-๙ are refused as anywhere.
        raw = request.args.get("page")
        if raw:
            try:
                text.parse_int(raw, field="page", maximum=MAX_PAGE)
            except InvalidInput:
                abort(400)


def or_abort(call, *args, **kwargs):
    """Run a service call; its NotFound becomes a 404 and its PermissionDenied a 403."""
    try:
        return call(*args, **kwargs)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


NEXT_MAX_LENGTH = 2000


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site (never another host: no open redirect), else ``default``.

    Only printable ASCII is kept as it is: a CR or LF would split the Location header (Werkzeug
    refuses it with a 500), and browsers drop tabs and newlines from URLs, so "/\t/evil.example"
    would reach them as "//evil.example". A backslash is read as a slash by browsers, so it is
    refused too. Other characters are percent-encoded (IRI to URI) and the result checked again.
    """
    if not isinstance(target, str) or not target or len(target) > NEXT_MAX_LENGTH:
        return default
    if any(_unsafe_in_url(ch) for ch in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default  # another host ("//evil.example") or not a path: before parsing it at all
    try:
        target = iri_to_uri(target)
    except ValueError:  # "//::" and the like: a netloc with a port that is no number
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _unsafe_in_url(ch: str) -> bool:
    # Controls, invisible format characters (bidi, zero-width), separators and any whitespace.
    return (
        ch == "\\" or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )


def warm_templates(app: Flask) -> None:
    """Compile every template the app can load into its template cache.

    gunicorn's master does this before it forks (``gunicorn_conf.when_ready``), so no worker compiles
    a template on its first requests. A template that does not compile on its own (a fragment that
    only works included) is left to be compiled where it is used."""
    env = app.jinja_env
    names = env.list_templates()
    # The cache must hold them all, or warming one would evict another.
    if env.cache is not None and getattr(env.cache, "capacity", len(names)) < len(names):
        raise RuntimeError(f"the template cache holds fewer than the app's {len(names)} templates")
    for name in names:
        try:
            env.get_template(name)
        except TemplateError:
            continue
