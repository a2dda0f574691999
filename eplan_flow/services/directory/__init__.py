"""Who exists: organisations, reference geography, the DLA LAO registry import, the catalogues plans
link to.
"""
