"""What truly differs between two generated branches, from the generator's ``_truth`` file.

For the check that the diagnosis names the practice that truly differs: a practice
"truly differs" for a pair when the lagging branch is materially behind its partner in
it, by the generator's own account of how each branch works.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smartcounter.programme.practices import Practice

PRACTICES = tuple(p.value for p in Practice)
COVERAGE_GAP = 0.2
QUALITY_GAP = 0.1


def _flag(row: Mapping[str, Any], name: str) -> bool:
    value = row.get(name)
    return str(value).strip().lower() in ("true", "1") if not isinstance(value, bool) else value


def _num(row: Mapping[str, Any], name: str) -> float:
    value = row.get(name)
    return float(value) if value not in (None, "") else 0.0


def _not_at_stm(row: Mapping[str, Any]) -> set[str]:
    value = row.get("not_at_stm") or ""
    return {v for v in str(value).split(";") if v}


def truly_differs(lag: Mapping[str, Any], partner: Mapping[str, Any]) -> set[str]:
    """The practices in which ``lag`` is materially behind ``partner``."""
    out: set[str] = set()
    if _num(partner, "stage1_coverage") - _num(lag, "stage1_coverage") >= COVERAGE_GAP:
        out.add(Practice.GREETER_TRIAGE.value)
    if _num(partner, "stage2_coverage") - _num(lag, "stage2_coverage") >= COVERAGE_GAP:
        out.add(Practice.HALL_TRIAGE.value)
    hall_staff = lambda r: _num(r, "stm_specialists") + _num(r, "lobby_managers") > 0  # noqa: E731
    if hall_staff(partner) and not hall_staff(lag):
        out.add(Practice.SPECIALIST_STAFFING.value)
    if _flag(partner, "dedicated_specialist") and not _flag(lag, "dedicated_specialist"):
        out.add(Practice.SPECIALIST_STAFFING.value)
    if _num(partner, "stage3_coverage") - _num(lag, "stage3_coverage") >= COVERAGE_GAP:
        out.add(Practice.TELLER_REPROMOTION.value)
    if _num(partner, "guidance_quality") - _num(lag, "guidance_quality") >= QUALITY_GAP:
        out.add(Practice.GUIDANCE.value)
    if _flag(partner, "cash_split") and not _flag(lag, "cash_split"):
        out.add(Practice.CASH_SPLIT.value)
    if _flag(partner, "elderly_support") and not _flag(lag, "elderly_support"):
        out.add(Practice.ELDERLY_CARE.value)
    if _not_at_stm(lag) - _not_at_stm(partner):
        out.add(Practice.FULL_CATALOGUE.value)
    if _flag(partner, "follow_up_next_visit") and not _flag(lag, "follow_up_next_visit"):
        out.add(Practice.FOLLOW_UP.value)
    backup = _flag(partner, "backup_teller") and not _flag(lag, "backup_teller")
    devices = lambda r: _num(r, "smart_counters") / max(_num(r, "daily_tickets"), 1.0)  # noqa: E731
    faults = _num(lag, "device_fault_rate") > 2 * _num(partner, "device_fault_rate")
    if backup or devices(lag) < 0.7 * devices(partner) or faults:
        out.add(Practice.DEVICE_CAPACITY.value)
    return out
