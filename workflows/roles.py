"""Role catalogue: who a grant makes someone, and how far that grant reaches.

A role is granted at one organisation. Its *reach* says which organisations the grant covers:
``own`` covers the organisation itself (LAO staff), ``district`` every LAO of the office's district,
``province`` every organisation of the province, ``national`` everything.
"""

ROLES = {
    "planner": {"reach": "own", "label": "Planner"},
    "support_secretary": {"reach": "own", "label": "Support-committee secretary"},
    "devcom_secretary": {"reach": "own", "label": "Development-committee secretary"},
    "council_secretary": {"reach": "own", "label": "Council secretary"},
    "executive": {"reach": "own", "label": "Executive"},
    "sso_admin": {"reach": "own", "label": "LAO SSO admin"},
    "district_officer": {"reach": "district", "label": "District officer"},
    "provincial_officer": {"reach": "province", "label": "Provincial officer"},
    "dla_admin": {"reach": "national", "label": "DLA admin"},
}

ROLE_NAMES = tuple(ROLES)

# Roles that may open the back office at all.
BACK_OFFICE_ROLES = frozenset({"sso_admin", "district_officer", "provincial_officer", "dla_admin"})

# Roles that no grant gives: the engine derives them from the row itself. ``applicant`` is the
# person a row belongs to (their own account or access request), whatever grants they hold.
PSEUDO_ROLES = {
    "applicant": {"label": "The applicant themself"},
}

ALL_ROLE_NAMES = frozenset(ROLES) | frozenset(PSEUDO_ROLES)
