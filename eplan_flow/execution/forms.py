"""Forms of the execution pages: they carry the CSRF token; the execution service checks the values."""

from __future__ import annotations

from flask_wtf import FlaskForm


class PostForm(FlaskForm):
    """A bare POST: CSRF only. Every value is parsed and checked by the service, after scope and role."""
