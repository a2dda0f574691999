"""The glossary: English names in the code, their Thai meaning, and the labels people read.

Domain words keep their Thai meaning in English names:

| in the code | Thai | meaning |
|---|---|---|
| LAO, organisation of kind ``lao`` | องค์กรปกครองส่วนท้องถิ่น (อปท.) | local administrative organisation |
| ``pao`` | องค์การบริหารส่วนจังหวัด (อบจ.) | provincial administrative organisation |
| ``city_municipality`` / ``town_municipality`` / ``subdistrict_municipality`` | เทศบาลนคร / เมือง / ตำบล (ทน./ทม./ทต.) | municipalities |
| ``sao`` | องค์การบริหารส่วนตำบล (อบต.) | subdistrict administrative organisation |
| ``dla`` | กรมส่งเสริมการปกครองท้องถิ่น (สถ.) | Department of Local Administration |
| ``provincial_office`` / ``district_office`` | สถจ. / สถอ. | DLA's provincial and district offices |
| plan | แผนพัฒนาท้องถิ่น | the five-year local development plan |
| amendment / change / addition | แก้ไข / เปลี่ยนแปลง / เพิ่มเติม | the three kinds of plan revision |
| support committee | คณะกรรมการสนับสนุนการจัดทำแผนพัฒนาท้องถิ่น | drafts the plan |
| development committee (``devcom``) | คณะกรรมการพัฒนาท้องถิ่น | reviews the draft |
| council | สภาท้องถิ่น | approves where the LAO type requires it |
| executive | ผู้บริหารท้องถิ่น (นายก) | approves and announces |
| civic forum | ประชาคมท้องถิ่น | the public consultation |
| fiscal year | ปีงบประมาณ | 1 October – 30 September, named by its Buddhist-Era end year |
"""
from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "dla": _l("Department of Local Administration"),
    "provincial_office": _l("Provincial local administration office"),
    "district_office": _l("District local administration office"),
    "lao": _l("Local administrative organisation"),
}

# Role names for people (workflows/ is pure data without Flask, so its labels are translated here).
ROLE_LABELS = {
    "planner": _l("Planner"),
    "support_secretary": _l("Support-committee secretary"),
    "devcom_secretary": _l("Development-committee secretary"),
    "council_secretary": _l("Council secretary"),
    "executive": _l("Executive"),
    "sso_admin": _l("LAO SSO admin"),
    "district_officer": _l("District officer"),
    "provincial_officer": _l("Provincial officer"),
    "dla_admin": _l("DLA admin"),
}

# Audit actions that are not workflow triggers.
ACTION_LABELS = {
    "create": _l("Created the item"),
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Signed out"),
}
