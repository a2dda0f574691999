"""What the printed documents call things (English msgids; Thai from the translation catalogue).

The pages' own label tables live in their blueprints, which a job may not import; the msgids here
are the same ones, so the Thai reads alike on screen and on paper.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eplan_flow.glossary import CATALOGUE_LABELS as CATALOGUE_LABELS
from eplan_flow.glossary import DIMENSION_TITLES as DIMENSION_TITLES
from eplan_flow.glossary import PROJECT_FIELD_LABELS, PROJECT_SOURCE_LABELS

FORM_TITLES = {
    "yt01": _l("Linkage of the LAO's development strategies"),
    "p01": _l("Summary of development projects"),
    "p01_1": _l("Summary of development projects taken from village and community plans"),
    "p02": _l("Details of development projects"),
    "p03": _l("Equipment list"),
    "evaluation": _l("Monitoring and evaluation report of the local development plan"),
}
# The action plan's forms, with their fiscal year: the msgids of their print pages (templates/execution).
ACTION_PLAN_TITLES = {
    "pd01": _l("Summary of the projects of the action plan, fiscal year %(year)s"),
    "pd02": _l("Projects of the action plan, fiscal year %(year)s"),
}
OTHER_AGENCY = _l("Project of another agency")
FILE_PREFIX_EVALUATION = "รายงานติดตามและประเมินผล"
DRAFT = _l("Draft")
AS_ANNOUNCED = _l("The plan as announced")
VERSION = _l("Version %(n)s")

# The ผ.02's linkage preamble, as real sheets head each strategy (จ. is the LAO's own strategy).
PREAMBLE_LABELS = {
    "national_strategy": _l("A. National Strategy"),
    "nesdp_milestone": _l("B. National Economic and Social Development Plan"),
    "provincial_strategy": _l("C. Provincial strategy"),
    "province_lao_strategy": _l("D. Development strategy of the LAOs in the province"),
    "lao_strategy": _l("E. Strategy of the LAO"),
}
SOURCE_LABELS = PROJECT_SOURCE_LABELS
FIELD_LABELS = PROJECT_FIELD_LABELS
TEXT_LABELS = {
    "method": _l("Method of monitoring and evaluation"),
    "findings": _l("Findings"),
    "recommendations": _l("Opinions and recommendations"),
}
