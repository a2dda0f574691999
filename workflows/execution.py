"""A project's year of execution (การดำเนินงานโครงการตามข้อบัญญัติงบประมาณ), version 1.

The LAO's planner records each step as it happens: the amount in the budget ordinance, procurement,
the signed contract, disbursements, completion. Side routes: a project that needs no procurement
(a subsidy) ends at budget approval; money may be carried over (กันเงิน) to the next fiscal year;
a project may be cancelled with its reason. The money itself (contract, transfers, disbursements)
is recorded by ``eplan_flow/services/delivery/execution.py``; entering ``contracted`` needs the contract and
entering ``completed`` needs full disbursement against it and 100 % progress.
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
}
