"""eplan-flow: a workflow and approval engine for Thai local development planning."""

from __future__ import annotations

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build an app: config defaults, then EPLAN_* variables, then ``test_config``."""
    # Not at the top: every ``import eplan_flow.<module>`` runs this file first, and the factory
    # imports the whole app (blueprints, services, back office), which imports this package back.
    from eplan_flow.factory import build_app

    return build_app(test_config)
