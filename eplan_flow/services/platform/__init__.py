"""Shared machinery every context uses: the workflow engine, transactions, audit, outbox, jobs'
transport, mail, notifications.
"""
