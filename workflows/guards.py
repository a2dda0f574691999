"""Named guards: pure predicates on a workflow row and its definition's rule data.

A guard never does I/O: the engine loads what a guard reads (the row's organisation) before it
fires. Each takes ``(instance, rules)`` and returns a bool.
"""


def council_required(instance, rules) -> bool:
    """The LAO's type needs its council's approval (อบต. under the 2548 regulation, ข้อ 17)."""
    return instance.organisation.lao_type in rules.get("council_required_for", ())


def _kind_rules(instance, rules) -> list[dict]:
    return [rules["kinds"][kind] for kind in sorted(instance.kinds)]


def revision_needs_committee(instance, rules) -> bool:
    """A regular revision holding a kind that goes to the development committee (ข้อ 22, 22/1)."""
    return instance.route == "regular" and any(k["committee"] for k in _kind_rules(instance, rules))


def revision_needs_council(instance, rules) -> bool:
    """A regular revision holding a kind that the LAO's type must take to its council."""
    lao_type = instance.organisation.lao_type
    return instance.route == "regular" and any(
        lao_type in k["council_for"] for k in _kind_rules(instance, rules)
    )


def revision_has_items(instance, rules) -> bool:
    return bool(instance.items)


def review_has_items(instance, rules) -> bool:
    """A review changes at least one strategy or project."""
    return bool(instance.items)


def _approver_role(instance, rules) -> str | None:
    # Access requests are approved like a member's account of the same organisation.
    requested = getattr(instance, "requested_role", None) or "member"
    return rules.get("approver", {}).get(f"{instance.organisation.kind}:{requested}")


def approved_by_lao_admin(instance, rules) -> bool:
    """The chain of trust names the LAO's own SSO admin as this row's approver."""
    return _approver_role(instance, rules) == "sso_admin"


def approved_by_province(instance, rules) -> bool:
    """The chain of trust names the provincial office as this row's approver."""
    return _approver_role(instance, rules) == "provincial_officer"


def approved_by_dla(instance, rules) -> bool:
    """The chain of trust names DLA as this row's approver."""
    return _approver_role(instance, rules) == "dla_admin"


GUARDS = {
    "approved_by_lao_admin": approved_by_lao_admin,
    "approved_by_province": approved_by_province,
    "approved_by_dla": approved_by_dla,
    "council_required": council_required,
    "revision_needs_committee": revision_needs_committee,
    "revision_needs_council": revision_needs_council,
    "revision_has_items": revision_has_items,
    "review_has_items": review_has_items,
}
