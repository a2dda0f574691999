"""A project's year of execution (การดำเนินงานโครงการตามข้อบัญญัติงบประมาณ), versions 1 to 3.

The LAO's planner records each step as it happens: the amount in the budget ordinance, procurement,
the signed contract, disbursements, completion. Side routes: a project that needs no procurement
(a subsidy) ends at budget approval; money may be carried over (กันเงิน) to the next fiscal year;
a project may be cancelled with its reason. The money itself (contract, transfers, disbursements)
is recorded by ``eplan_flow/services/delivery/execution.py``; entering ``contracted`` needs the contract and
entering ``completed`` needs full disbursement against it and 100 % progress. Where a payment may
be recorded is rule data (``rules``): version 2 takes none before the contract is signed, except on
the no-procurement route.
"""

from typing import Any

# Where the entry actions live (names only: this package imports no service).
_EXECUTION = "eplan_flow.services.delivery.execution"
RECORDERS = ["planner", "support_secretary"]
OPEN_STATES = ["budgeted", "procurement", "contracted", "disbursing"]

# Plain data (read by WorkflowDefinition, which checks it), so its values are of mixed types.
EXECUTION_V1: dict[str, Any] = {
    "name": "execution",
    "version": 1,
    "title": {"th": "การดำเนินงานโครงการประจำปีงบประมาณ", "en": "Project execution in a fiscal year"},
    "initial": "budgeted",
    "states": {
        "budgeted": {"th": "ตั้งงบประมาณในข้อบัญญัติแล้ว", "en": "Budgeted in the ordinance"},
        "procurement": {"th": "อยู่ระหว่างจัดซื้อจัดจ้าง", "en": "In procurement"},
        "contracted": {"th": "ลงนามในสัญญาแล้ว", "en": "Contract signed"},
        "disbursing": {"th": "อยู่ระหว่างเบิกจ่าย", "en": "Disbursing"},
        "completed": {"th": "ดำเนินการแล้วเสร็จ", "en": "Completed"},
        "closed_without_procurement": {
            "th": "สิ้นสุดเมื่ออนุมัติงบประมาณ (ไม่ต้องจัดซื้อจัดจ้าง)",
            "en": "Closed at budget approval (no procurement needed)",
        },
        "carried_over": {"th": "กันเงินไว้เบิกจ่ายปีงบประมาณถัดไป", "en": "Carried over to the next fiscal year"},
        "cancelled": {"th": "ยกเลิกโครงการ", "en": "Cancelled"},
    },
    "triggers": {
        "start_procurement": {"th": "เริ่มจัดซื้อจัดจ้าง", "en": "Start procurement"},
        "sign_contract": {"th": "ลงนามในสัญญา", "en": "Sign the contract"},
        "start_disbursing": {"th": "เริ่มเบิกจ่าย", "en": "Start disbursing"},
        "complete": {"th": "ดำเนินการแล้วเสร็จ", "en": "Mark as completed"},
        "close_without_procurement": {
            "th": "ปิดโครงการเมื่ออนุมัติงบประมาณ (เช่น เงินอุดหนุน)",
            "en": "Close at budget approval (e.g. a subsidy)",
        },
        "carry_over": {"th": "กันเงินไปปีงบประมาณถัดไป", "en": "Carry over to the next fiscal year"},
        "cancel": {"th": "ยกเลิกโครงการ", "en": "Cancel the project"},
    },
    "transitions": [
        {"trigger": "start_procurement", "source": "budgeted", "dest": "procurement", "roles": RECORDERS},
        {"trigger": "sign_contract", "source": "procurement", "dest": "contracted", "roles": RECORDERS},
        {"trigger": "start_disbursing", "source": "contracted", "dest": "disbursing", "roles": RECORDERS},
        {"trigger": "complete", "source": "disbursing", "dest": "completed", "roles": RECORDERS},
        # Money carried over is paid out next year; the project then completes from here.
        {"trigger": "complete", "source": "carried_over", "dest": "completed", "roles": RECORDERS},
        {
            "trigger": "close_without_procurement",
            "source": "budgeted",
            "dest": "closed_without_procurement",
            "roles": RECORDERS,
        },
        *[
            {"trigger": "carry_over", "source": state, "dest": "carried_over", "roles": RECORDERS}
            for state in OPEN_STATES
        ],
        *[
            {
                "trigger": "cancel",
                "source": state,
                "dest": "cancelled",
                "roles": RECORDERS,
                "comment_required": True,
                # The cancel page keeps the reason on the row as well (the project's pages show it).
                "composite": "/execution/<execution_id>/cancel",
            }
            for state in OPEN_STATES
        ],
    ],
    # What entering a state does in the step's own transaction, in this order ("module:function",
    # resolved and checked when the app starts).
    "on_enter": {
        "contracted": [f"{_EXECUTION}:require_contract"],
        "completed": [f"{_EXECUTION}:require_counted"],
        "carried_over": [f"{_EXECUTION}:record_carry_over"],
    },
    "effects": [],
    # Version 1 took a payment in any open state, with or without a contract (see version 2).
    "rules": {
        "payment_states": [*OPEN_STATES, "carried_over"],
        "payment_without_contract": [*OPEN_STATES, "carried_over"],
    },
}


# Version 2 (issue 11): the order of the steps is a rule. Version 1 took payments in any open
# state, so a project could be paid in full while it still read "in procurement". Items started on
# version 1 keep its rules (each row pins the version it started on); new items follow these.
def _v2_transition(spec: dict[str, Any]) -> dict[str, Any]:
    # What each step records: the procurement method, and the signed contract itself (no meeting).
    recorded = {
        "start_procurement": {"procurement_method": "text"},
        "sign_contract": {
            "contract_no": "text",
            "contract_date": "date",
            "contractor": "text",
            "contract_amount": "text",
        },
    }.get(spec["trigger"])
    return {**spec, "data": recorded} if recorded else dict(spec)


EXECUTION_V2: dict[str, Any] = {
    **EXECUTION_V1,
    "version": 2,
    "transitions": [_v2_transition(spec) for spec in EXECUTION_V1["transitions"]],
    "on_enter": {
        **EXECUTION_V1["on_enter"],
        "contracted": [f"{_EXECUTION}:record_signed_contract", f"{_EXECUTION}:require_contract"],
    },
    "rules": {
        # A payment (เบิกจ่าย) is recorded only in these states: once the contract is signed, or on
        # the documented no-procurement route (a subsidy, paid out without a contract) ...
        "payment_states": ["contracted", "disbursing", "carried_over", "closed_without_procurement"],
        # ... and only against a recorded contract, dated on or after it, except in these states.
        "payment_without_contract": ["closed_without_procurement"],
        # The methods of the Public Procurement Act B.E. 2560 (มาตรา 55) the procurement step offers.
        "procurement_methods": [
            "วิธีประกาศเชิญชวนทั่วไป (e-bidding)",
            "วิธีประกาศเชิญชวนทั่วไป (e-market)",
            "วิธีคัดเลือก",
            "วิธีเฉพาะเจาะจง",
        ],
    },
}


# Version 3 (issue 14): where the money comes from and how it is spent are codes, and the rule for a
# project whose plan budget for the year is 0 is data. The steps are version 2's; items started on
# version 1 or 2 keep their rules (they record no budget source, and their procurement step takes
# version 2's list of method names).
BUDGET_SOURCES: dict[str, dict[str, str]] = {
    "ordinance": {"th": "ข้อบัญญัติงบประมาณรายจ่ายประจำปี", "en": "Annual budget ordinance"},
    "supplementary_ordinance": {
        "th": "ข้อบัญญัติงบประมาณรายจ่ายเพิ่มเติม",
        "en": "Supplementary budget ordinance",
    },
    "accumulated_funds": {"th": "จ่ายขาดเงินสะสม", "en": "Accumulated funds (จ่ายขาดเงินสะสม)"},
    "specific_subsidy": {"th": "เงินอุดหนุนเฉพาะกิจ", "en": "Specific-purpose subsidy"},
    "transfer_new_item": {
        "th": "โอนงบประมาณ/ตั้งจ่ายเป็นรายการใหม่",
        "en": "Budget transfer to a new item (ตั้งจ่ายรายการใหม่)",
    },
}

# The methods of the Public Procurement Act B.E. 2560 (มาตรา 55-56). ``aliases`` are version 2's
# names, so a name typed or posted under version 2 still finds its code.
PROCUREMENT_METHODS: dict[str, dict[str, Any]] = {
    "e_bidding": {
        "th": "วิธีประกาศเชิญชวนทั่วไป แบบประกวดราคาอิเล็กทรอนิกส์ (e-bidding)",
        "en": "Open invitation, electronic bidding (e-bidding)",
        "aliases": ["วิธีประกาศเชิญชวนทั่วไป (e-bidding)"],
    },
    "e_market": {
        "th": "วิธีประกาศเชิญชวนทั่วไป แบบตลาดอิเล็กทรอนิกส์ (e-market)",
        "en": "Open invitation, electronic market (e-market)",
        "aliases": ["วิธีประกาศเชิญชวนทั่วไป (e-market)"],
    },
    "selective": {"th": "วิธีคัดเลือก", "en": "Selective"},
    "specific": {"th": "วิธีเฉพาะเจาะจง", "en": "Specific (direct)"},
    "none": {"th": "ไม่ต้องจัดซื้อจัดจ้าง (เช่น เงินอุดหนุน)", "en": "No procurement (e.g. a subsidy)"},
}

EXECUTION_V3: dict[str, Any] = {
    **EXECUTION_V2,
    "version": 3,
    "on_enter": {
        **EXECUTION_V2["on_enter"],
        "procurement": [f"{_EXECUTION}:record_procurement_method"],
    },
    "rules": {
        **EXECUTION_V2["rules"],
        # The procurement step offers these codes (a version 2 name is read as its code).
        "procurement_methods": PROCUREMENT_METHODS,
        "budget_sources": BUDGET_SOURCES,
        # The e-LAAS budget code: no fixed public format was found (uncertain), so a bounded code of
        # digits, Latin letters and the separators e-LAAS exports show.
        "elaas_code": {"max_length": 50, "pattern": r"[0-9A-Za-z][0-9A-Za-z./ -]*"},
        # The e-GP project number (เลขที่โครงการ): 11 digits, as e-GP announcements show (uncertain).
        "egp_project_no": {"pattern": r"\d{11}"},
        # Where the project is: หมู่ที่ and/or the community; coordinates optional, within Thailand.
        "location": {
            "village_no": [1, 99],
            "community_max_length": 200,
            "latitude": ["5.6", "20.5"],
            "longitude": ["97.3", "105.7"],
        },
        # A project whose plan budget for the fiscal year is 0 (e-Plan's FAQ): it is not budgeted as
        # it stands; the LAO records it anew for the year through a revision of one of these kinds
        # (an addition, or a change of the project's budget), then budgets it.
        "zero_plan_budget": {"may_budget": False, "revision_kinds": ["addition", "change"]},
    },
}
