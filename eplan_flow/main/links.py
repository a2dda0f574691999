"""Links both ways between a workflow item and its own page, and the trail of pages above it.

The generic instance page (``main.instance``) takes any workflow's steps; each item also has a page
of its own (a plan's overview, a revision, a project's execution, an evaluation report, an approval)
where its content lives. Pages, notifications and the home page link the one to the other.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from eplan_flow.main import bp
from eplan_flow.services.delivery import execution as execution_service
from eplan_flow.services.planning import plans

# Each workflow's own page: its endpoint and how the item's id is passed to it.
OWN_PAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "plan": ("plans.overview", "plan_id", {}),
    "revision": ("revisions.revision", "revision_id", {}),
    "review": ("plans.review", "review_id", {}),
    "execution": ("execution.detail", "execution_id", {}),
    "evaluation": ("results.report", "report_id", {}),
    "account": ("sso.approval_item", "item_id", {"kind": "accounts"}),
    "system_access": ("sso.approval_item", "item_id", {"kind": "access"}),
}

# What the link to an item's own page says, per workflow.
OWN_PAGE_LABELS = {
    "plan": _l("Plan page: projects, forms and revisions"),
    "revision": _l("Revision page: its items and the old/new comparison"),
    "review": _l("Review page: its changes and the civic forum"),
    "execution": _l("Project execution page: contract, transfers and disbursements"),
    "evaluation": _l("Evaluation report page: figures and text"),
    "account": _l("Approval page"),
    "system_access": _l("Approval page"),
}


@bp.app_template_global()
def own_page_url(workflow: str, instance_id: int) -> str | None:
    """The address of the item's own page, or None for a workflow that has none."""
    page = OWN_PAGES.get(workflow)
    if page is None:
        return None
    endpoint, key, extra = page
    values: dict[str, Any] = {key: instance_id, **extra}
    return url_for(endpoint, **values)


@bp.app_template_global()
def own_page_label(workflow: str) -> str:
    return str(OWN_PAGE_LABELS.get(workflow, _l("Own page")))


@bp.app_template_global()
def own_page_of_link(link: str | None) -> str | None:
    """The own page of the item a stored link (a notification's) points at, when it points at the
    generic instance page; None when it already is an own page or names no item."""
    if not link or not link.startswith("/"):
        return None
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(link.partition("?")[0], method="GET")
    except HTTPException:  # no such page, or a redirect to one
        return None
    if endpoint != "main.instance":
        return None
    return own_page_url(values["workflow"], values["instance_id"])


def instance_trail(instance, actor) -> list[tuple[str, str | None]]:
    """The breadcrumb items above an item's workflow page: the pages that lead to its own page, and
    its own page (label, address)."""
    workflow = instance.workflow_name
    own = own_page_url(workflow, instance.id)
    if workflow == "plan":
        return [(instance.title, own)]
    if workflow == "revision":
        plan = instance.plan
        return [
            (plan.title, url_for("plans.overview", plan_id=plan.id)),
            (_("Revisions"), url_for("revisions.plan_revisions", plan_id=plan.id)),
            (instance.title, own),
        ]
    if workflow == "review":
        plan = instance.plan
        return [
            (plan.title, url_for("plans.overview", plan_id=plan.id)),
            (_("Reviews"), url_for("plans.plan_reviews", plan_id=plan.id)),
            (instance.title, own),
        ]
    if workflow == "execution":
        plan = plans.get_plan(actor, instance.plan_id)
        return [
            (plan.title, url_for("plans.overview", plan_id=plan.id)),
            (
                _("Project execution, fiscal year %(year)s", year=instance.fiscal_year_be),
                url_for("execution.plan_year", plan_id=plan.id, year=instance.fiscal_year_be),
            ),
            (execution_service.project_name(instance) or str(instance), own),
        ]
    if workflow == "evaluation":
        return [
            (_("Results and evaluation"), url_for("results.lao", org_id=instance.organisation_id)),
            (instance.title, own),
        ]
    if workflow in ("account", "system_access"):
        return [(_("SSO approvals"), url_for("sso.approvals_inbox")), (instance.user.full_name, own)]
    return []
