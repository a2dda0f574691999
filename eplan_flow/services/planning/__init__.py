"""The local development plan: drafting, strategies, projects, revisions, printed forms, the public
board, deadlines."""
