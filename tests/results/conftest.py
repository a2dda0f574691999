"""Results fixtures: the CSRF-protected app of the web tests."""
from tests.web.conftest import csrf_app  # noqa: F401
