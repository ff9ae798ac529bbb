"""Names in the reader's language for the codes of the data: business, reason, staff, groups."""

from __future__ import annotations

from smartcounter.canonical.catalogue import REASONS
from smartcounter.i18n import Lang, Translator
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table


class Labels:
    """Names in the bulletin's language for codes of the data: business, reason, staff."""

    def __init__(self, store: Store, lang: Lang) -> None:
        self.t = Translator(lang)
        self.lang = lang
        types = read_table(store, "business_types")
        name_col = "name_en" if lang is Lang.EN else "name_zh"
        self.business = {
            r["code"]: (r.get(name_col) or r["name_zh"]) for r in types.iter_rows(named=True)
        }
        staff = read_table(store, "staff")
        self.staff: dict[str, tuple[str, str, str]] = {
            r["staff_id"]: (r.get("name") or r["staff_id"], r["role"], r["branch_id"])
            for r in staff.iter_rows(named=True)
        }
        self.branch_names: dict[str, str] = {}

    def group(self, branch_type: str) -> str:
        """The name of a peer group."""
        return self.t(f"bulletin.group.{branch_type}")

    def reason(self, code: str) -> str:
        """The name of a reason code ('unknown' for a missing one)."""
        if code in REASONS:
            return REASONS[code].name(self.lang.value)
        return self.t("bulletin.label.unknown")

    def item(self, dimension: str, value: str, *, network: bool) -> tuple[str, str | None]:
        """The label of a Pareto item, and a note (a staff member's role and branch)."""
        if value == "unknown":
            return self.t("bulletin.label.unknown"), None
        if dimension == "business":
            return self.business.get(value, value), None
        if dimension == "reason":
            return self.reason(value), None
        if dimension == "hour":
            hour = int(value)
            return self.t("bulletin.fmt.hour", start=hour, end=hour + 1), None
        if dimension == "role":
            return self.t(f"bulletin.role.{value}"), None
        if dimension == "age_band":
            return self.t(f"bulletin.age.{value}"), None
        if dimension == "customer_tier":
            return self.t(f"web.tier.{value}"), None
        if dimension == "staff":
            name, role, branch = self.staff.get(value, (value, "", ""))
            role_name = self.t(f"bulletin.role.{role}") if role else ""
            where = self.branch_names.get(branch, branch) if network else ""
            note = " · ".join(p for p in (role_name, where) if p) or None
            return name, note
        return value, None
