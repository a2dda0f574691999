"""Background jobs: small functions that take ids, run by RQ (or in-process without Redis)."""
