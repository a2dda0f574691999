"""This app's own addresses and the SSO it trusts, resolved once from settings, never from a request.

A request's Host header is the client's to choose. Anything derived from it (the SSO's issuer, the
discovery URL e-Plan signs in through) would let whoever sends the first request pick whom e-Plan
trusts. So BASE_URL (EPLAN_BASE_URL) names this app, the rest derives from it at start-up, and a
request for any other Host is refused before the app sees it.

Behind a load balancer or reverse proxy, TRUSTED_PROXIES (EPLAN_TRUSTED_PROXIES) says how many
proxies stand in front of the app: Werkzeug's ProxyFix then takes the client's address, scheme and
Host from the last that many X-Forwarded-For/-Proto/-Host entries, the ones those proxies wrote.
Everything else reads ``request.remote_addr`` (rate limits, audit records) and never a header
itself. With 0, the default, no forwarded header is believed: a client could write any.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.exceptions import BadRequest, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_host

from eplan_flow.config import InsecureConfiguration

WELL_KNOWN = "/.well-known/openid-configuration"

log = logging.getLogger(__name__)


def derive(config) -> None:
    """Resolve BASE_URL, OIDC_ISSUER, SSO_DISCOVERY_URL, SSO_ISSUER and TRUSTED_HOSTS in ``config``.

    Production without BASE_URL keeps it None here; ``check_base_url`` then refuses the start.
    """
    base = config.get("BASE_URL")
    if base:
        base = config["BASE_URL"] = _checked_base_url(str(base))
    issuer = str(config.get("OIDC_ISSUER") or base or "").rstrip("/") or None
    config["OIDC_ISSUER"] = issuer
    discovery = config.get("SSO_DISCOVERY_URL")
    if not discovery:
        # The one-process demo: e-Plan signs in through this app's own provider.
        config["SSO_DISCOVERY_URL"] = issuer + WELL_KNOWN if issuer else None
        config["SSO_ISSUER"] = config.get("SSO_ISSUER") or issuer
    elif not config.get("SSO_ISSUER"):
        if not discovery.endswith(WELL_KNOWN):
            raise InsecureConfiguration(
                f"EPLAN_SSO_ISSUER must be set: EPLAN_SSO_DISCOVERY_URL ({discovery}) does not end in "
                f"{WELL_KNOWN}, so the issuer e-Plan trusts cannot be read from it"
            )
        config["SSO_ISSUER"] = discovery.removesuffix(WELL_KNOWN)
    hosts = [urlsplit(base).hostname] if base else []
    for host in _host_list(config.get("TRUSTED_HOSTS")):
        if host not in hosts:
            hosts.append(host)
    # Flask checks these too when it reads request.host; the guard below refuses earlier.
    config["TRUSTED_HOSTS"] = hosts
    config["TRUSTED_PROXIES"] = _proxy_count(config.get("TRUSTED_PROXIES"))


def _proxy_count(value) -> int:
    # EPLAN_TRUSTED_PROXIES arrives as a number (from_prefixed_env reads JSON) or as text.
    text = str(value if value is not None else 0).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise InsecureConfiguration(
            f"EPLAN_TRUSTED_PROXIES must be the number of proxies in front of this app (0: none), "
            f"not {value!r}"
        )
    return int(text)


def _checked_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InsecureConfiguration(
            f"EPLAN_BASE_URL must be an http(s) address with no query, e.g. https://eplan.example.go.th, "
            f"not {url!r}"
        )
    return url.strip().rstrip("/")


def _host_list(value) -> list[str]:
    # EPLAN_TRUSTED_HOSTS arrives as a list (JSON) or as text: "a.example, .b.example".
    if not value:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    return [str(item).strip().lower() for item in items if str(item).strip()]


class TrustedHostGuard:
    """WSGI middleware: answer 400 to a request for a Host this app does not serve, before Flask
    opens a session or runs a single hook (Flask's own TRUSTED_HOSTS check raises only at
    dispatch, after the before-request hooks have run)."""

    def __init__(
        self,
        wsgi_app,
        trusted_hosts: list[str],
        base_url: str | None = None,
        any_host_paths: frozenset[str] = frozenset(),
    ):
        self.wsgi_app = wsgi_app
        self.trusted_hosts = list(trusted_hosts)
        # Named in the answer so someone who typed another address (localhost) finds the right one;
        # the configured address is public, and nothing of the request is echoed back.
        where = f" {base_url}" if base_url else ""
        self.refusal = f"Unknown host: this service answers at{where}. ไม่รู้จักชื่อเครื่องนี้ โปรดเปิดระบบที่{where}"
        # A load balancer probes each process by its IP address (Host: 10.0.0.5:8000), which no
        # configuration can list in advance. Its probes (``any_host_paths``: GET or HEAD of exactly
        # those paths) pass whatever Host they name, but under this app's own name: the Host the
        # client sent is replaced before the app runs, so it reaches nothing (no URL, no log line,
        # no redirect is built from it), and every other path is refused as before.
        self.any_host_paths = any_host_paths
        own = [urlsplit(base_url).netloc.rpartition("@")[2]] if base_url else []
        own += [h for h in self.trusted_hosts if not h.startswith(".")]
        self.own_host = own[0] if own else None

    def __call__(self, environ, start_response):
        try:
            host = get_host(environ, self.trusted_hosts) if self.trusted_hosts else ""
        except SecurityError:
            host = ""
        if not host and self.own_host and self._is_probe(environ):
            environ = {**environ, "HTTP_HOST": self.own_host}
            host = self.own_host
        if not host:
            log.warning("request for an untrusted Host refused: %r", environ.get("HTTP_HOST", "")[:100])
            return BadRequest(self.refusal)(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _is_probe(self, environ) -> bool:
        return (
            environ.get("REQUEST_METHOD") in ("GET", "HEAD")
            and environ.get("PATH_INFO") in self.any_host_paths
        )


def init_app(app, any_host_paths: frozenset[str] = frozenset()) -> None:
    """Refuse unknown Hosts (but let ``any_host_paths`` probes through, under this app's name);
    in front of that, believe the forwarded headers of TRUSTED_PROXIES proxies and no more."""
    app.wsgi_app = TrustedHostGuard(
        app.wsgi_app, app.config["TRUSTED_HOSTS"], app.config.get("BASE_URL"), any_host_paths
    )
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Outermost, so the Host the guard checks is the one the proxies forwarded, still checked
        # against TRUSTED_HOSTS: trusting a proxy's X-Forwarded-Host never widens the hosts served.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def oidc_issuer() -> str:
    """The issuer this app's provider names in its tokens and discovery: OIDC_ISSUER (BASE_URL
    unless set), from configuration only, never a request's URL (its Host is the client's to choose)."""
    return current_app.config["OIDC_ISSUER"]


def external_url(endpoint: str, **values) -> str:
    """An absolute link to ``endpoint`` on this app's configured address (BASE_URL), never on the
    Host a request named: for links that leave the page (emails, OIDC redirect URIs)."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}{url_for(endpoint, **values)}"
