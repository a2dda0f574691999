"""Named guards: pure predicates on a workflow row and its definition's rule data.

A guard never does I/O: the engine loads what a guard reads (the row's organisation) before it
fires. Each takes ``(instance, rules)`` and returns a bool.
"""


def council_required(instance, rules) -> bool:
    """The LAO's type needs its council's approval (อบต. under the 2548 regulation, ข้อ 17)."""
    return instance.organisation.lao_type in rules.get("council_required_for", ())


GUARDS = {
    "council_required": council_required,
}
