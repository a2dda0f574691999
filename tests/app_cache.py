"""Apps built for one test, handed to a later test of the same configuration while they stay as built.

``create_app`` costs about 0.1 s (Flask-Admin's views and every URL rule compiled), a third of a
typical test. An app keeps no data of its own (rows live in PostgreSQL, sessions and limits in
Redis, and both are emptied after every test), so a later test with the same configuration may
take it again, provided nothing about it changed. At the end of each test every app it took is
compared with what it was when built: its configuration, its extensions (by identity: a lazily
registered OIDC client or a job thread makes it a new app), its routes, hooks and template globals.
Any difference, and the app is dropped; the next test builds a fresh one.

One thing lives outside the app: Flask-Limiter keeps the storage of the app it was last bound to on
the shared ``limiter`` object. An app is handed out again only while the limiter is still bound to
it (no other app was built since), so its rate limits count where they did when it was new.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field

from flask import Flask

from eplan_flow.extensions import limiter

# Extensions an app adds on first use, the same for an unchanged configuration: kept.
_LAZY_EXTENSIONS = frozenset({"eplan_redis", "eplan_audit_key"})
_PLAIN = (str, int, float, bool, type(None))


@dataclass
class _Built:
    app: Flask
    key: str
    config: dict
    extensions: dict
    shape: tuple
    limiter_storage: object = field(repr=False)


_idle: dict[str, list[_Built]] = {}
_lent: dict[int, _Built] = {}


def key(overrides: dict) -> str | None:
    """The cache key of an app built from ``overrides`` (None: not cacheable)."""
    if not all(_plain(v) for v in overrides.values()):
        return None
    environment = sorted((k, v) for k, v in os.environ.items() if k.startswith("EPLAN_"))
    return repr((sorted(overrides.items()), environment))


def _plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def take(cache_key: str | None) -> Flask | None:
    """An unchanged app of this configuration whose limiter binding still holds, lent to this test."""
    _forget_unbound()
    if cache_key is None or not _idle.get(cache_key):
        return None
    built = _idle[cache_key].pop()
    _lent[id(built.app)] = built
    # Flask refuses new routes once an app has served a request; a test that adds some (its own
    # error pages) gets what a new app allows, and the change retires the app.
    built.app._got_first_request = False
    return built.app


def _forget_unbound() -> None:
    """Drop idle apps the limiter was bound away from: building any app rebinds it for good."""
    for cache_key, entries in list(_idle.items()):
        entries[:] = [entry for entry in entries if limiter._storage is entry.limiter_storage]
        if not entries:
            del _idle[cache_key]


def built(app: Flask, cache_key: str | None) -> None:
    """Note a new app, lent to the running test."""
    if cache_key is None:
        return
    try:
        config = copy.deepcopy(dict(app.config))
    except Exception:  # a value that cannot be copied: never reused
        return
    _lent[id(app)] = _Built(app, cache_key, config, dict(app.extensions), _shape(app), limiter._storage)


def give_back(apps: list[Flask]) -> None:
    """At the end of a test: keep each lent app that is still as built, drop the others."""
    for app in apps:
        entry = _lent.pop(id(app), None)
        if entry is not None and _unchanged(entry):
            _idle.setdefault(entry.key, []).append(entry)
    _forget_unbound()


def _unchanged(entry: _Built) -> bool:
    app = entry.app
    extensions = {k: v for k, v in app.extensions.items() if k not in _LAZY_EXTENSIONS}
    before = {k: v for k, v in entry.extensions.items() if k not in _LAZY_EXTENSIONS}
    return (
        extensions.keys() == before.keys()
        and all(extensions[k] is before[k] for k in before)
        and _shape(app) == entry.shape
        and dict(app.config) == entry.config
    )


def _sizes(mapping: dict) -> tuple:
    # Flask's hook maps are defaultdicts: a lookup adds an empty entry, which changes nothing.
    return tuple(sorted((str(k), len(v)) for k, v in mapping.items() if v))


def _shape(app: Flask) -> tuple:
    """What a test could add to an app besides configuration and extensions."""
    return (
        len(app.url_map._rules),
        tuple(sorted(app.view_functions)),
        tuple(sorted(app.blueprints)),
        _sizes(app.before_request_funcs),
        _sizes(app.after_request_funcs),
        _sizes(app.teardown_request_funcs),
        len(app.teardown_appcontext_funcs),
        _sizes(app.url_value_preprocessors),
        _sizes(app.url_default_functions),
        _sizes(app.template_context_processors),
        tuple(
            sorted(
                (str(bp), str(code), len(handlers))
                for bp, codes in app.error_handler_spec.items()
                for code, handlers in codes.items()
                if handlers
            )
        ),
        tuple(sorted(app.jinja_env.globals)),
        tuple(sorted(app.jinja_env.filters)),
        tuple(sorted(app.jinja_env.tests)),
        id(app.session_interface),
        id(app.json),
        app.test_client_class,
        app.testing,
        app.debug,
    )
