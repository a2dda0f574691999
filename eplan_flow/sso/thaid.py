"""Views of the SSO blueprint (filled in by its owner)."""
