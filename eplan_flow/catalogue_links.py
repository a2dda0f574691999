"""A project's links to the national and provincial catalogues as checkbox groups.

The project form and a revision's item forms offer some ninety catalogue items; a Ctrl-click list of
them is unusable, so the pages show one group per catalogue (master plans under their national
strategy), the ticked items first, as plain checkboxes that need no JavaScript
(``templates/_macros/ui.html``, ``link_groups_fieldset``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from eplan_flow.models import CATALOGUES, CatalogueItem

# The groups of the project form's catalogue links, in the ผ.01's order. Master plans sit under the
# national strategy they belong to, so the two catalogues make one group.
LINK_GROUPS = {
    "national_strategy": _l("National Strategy and its master plans"),
    # Shown only when DLA has entered sub-plans (an empty national group is left out).
    "sub_plan": _l("Sub-plans of the master plans (tick the master plan too)"),
    "nesdp_milestone": _l("13th NESDP milestones"),
    "sdg": _l("Sustainable Development Goals"),
    "provincial_strategy": _l("Provincial development strategies"),
    "province_lao_strategy": _l("LAO development strategies in the province"),
}
# A catalogue whose items are shown under their parent's item, in the parent's group.
NESTED_UNDER = {"master_plan": "national_strategy"}


@dataclass
class LinkOption:
    """One catalogue item as a checkbox, with the items listed under it (a strategy's master plans)."""

    item: CatalogueItem
    checked: bool
    children: list[LinkOption] = field(default_factory=list)

    @property
    def holds_checked(self) -> bool:
        return self.checked or any(child.checked for child in self.children)


@dataclass
class LinkGroup:
    catalogue: str
    label: object
    options: list[LinkOption]

    @property
    def chosen(self) -> list[LinkOption]:
        return [o for option in self.options for o in (option, *option.children) if o.checked]

    @property
    def total(self) -> int:
        return sum(1 + len(option.children) for option in self.options)


def link_groups(items: Iterable[CatalogueItem], chosen: Iterable) -> list[LinkGroup]:
    """The project's link choices as checkbox groups: one per catalogue, master plans under their
    national strategy, the ticked items (``chosen`` ids) first and the rest in catalogue order."""
    ticked = {str(value) for value in chosen}
    options = {item.id: LinkOption(item, str(item.id) in ticked) for item in items}
    groups = {catalogue: LinkGroup(catalogue, label, []) for catalogue, label in LINK_GROUPS.items()}
    for option in options.values():
        catalogue = option.item.catalogue
        home = NESTED_UNDER.get(catalogue, catalogue)
        parent_id = option.item.parent_id if catalogue in NESTED_UNDER else None
        parent = options.get(parent_id) if parent_id is not None else None
        if parent is not None:
            parent.children.append(option)
        elif home in groups:
            groups[home].options.append(option)
    for group in groups.values():
        # Stable sorts: within "ticked" and "not ticked" the catalogue's own order stays.
        group.options.sort(key=lambda option: not option.holds_checked)
        for option in group.options:
            option.children.sort(key=lambda child: not child.checked)
    # An empty provincial group says the province has not entered it yet; national ones are seed data.
    return [g for g in groups.values() if g.options or CATALOGUES[g.catalogue] == "provincial"]
