"""Back-office views (filled in by their owner)."""


def register(admin_site) -> None:
    """Add this module's views to the back office."""
