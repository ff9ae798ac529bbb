"""Words for people: pair reasons, findings, recommendations and differences, in zh or en.

Everything the programme says is a message key plus values; this module fills them in
through the translation layer, with business types and reasons named from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from smartcounter.canonical.catalogue import REASONS
from smartcounter.i18n import Lang, Translator
from smartcounter.programme.benchmarks import Difference
from smartcounter.programme.diagnosis import Diagnosis, Recommendation
from smartcounter.programme.pairing import Why


def _num(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass(frozen=True)
class Words:
    """A translator with the names of business types and branches at hand."""

    t: Translator
    business_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def lang(self) -> Lang:
        return self.t.lang

    def business(self, code: str | None) -> str:
        """The business type's name in the language (its code if unknown)."""
        if code is None:
            return "—"
        return self.business_names.get(code, code)

    def reason(self, code: str) -> str:
        """A reason's label in the language."""
        if code in REASONS:
            return REASONS[code].name(self.lang.value)
        return self.t("programme.reason_unknown") if code == "unknown" else code

    def group(self, branch_type: str | None) -> str:
        """A peer group's name."""
        return self.t(f"programme.group.{branch_type}") if branch_type else "—"

    def stage(self, number: int) -> str:
        """A triage stage's number as the language writes it (第二次分流, stage 2)."""
        return "一二三"[number - 1] if self.lang is Lang.ZH and 1 <= number <= 3 else str(number)

    def hours(self, hours: tuple[int, ...]) -> str:
        """Hours of day as the language writes them."""
        sep = "、" if self.lang is Lang.ZH else ", "
        return sep.join(f"{h}:00" for h in hours) if hours else "—"

    def why(self, why: Why) -> str:
        """One reason of a pair."""
        params = {k: _num(v) for k, v in why.params.items()}
        if "group" in why.params:
            params["group"] = self.group(str(why.params["group"]))
        if "partner_group" in why.params:
            params["partner_group"] = self.group(str(why.params["partner_group"]))
        return self.t(f"programme.why.{why.code}", **params)

    def recommendation(self, rec: Recommendation, diagnosis: Diagnosis) -> str:
        """One recommendation in the source's practice words."""
        params = {k: _num(v) for k, v in rec.params.items()}
        business = rec.params.get("business")
        params["business"] = self.business(business if isinstance(business, str) else None)
        params["hours"] = self.hours(diagnosis.peak_hours)
        stage = rec.params.get("stage")
        params["stage"] = self.stage(stage) if isinstance(stage, int) else "—"
        return self.t(f"programme.recommend.{rec.practice.value}.{rec.variant}", **params)

    def difference(self, d: Difference) -> str:
        """One way a benchmark differs from its peer group."""
        if d.feature == "mean_depth":
            return self.t(
                "programme.feature.mean_depth", value=f"{d.value:.2f}", peer=f"{d.peer_value:.2f}"
            )
        return self.t(
            f"programme.feature.{d.feature}",
            value=f"{100 * d.value:.1f}",
            peer=f"{100 * d.peer_value:.1f}",
        )

    def findings(self, diagnosis: Diagnosis) -> list[str]:
        """Where the lagging branch loses: the largest part per breakdown, and the funnel."""
        out = [
            self.t(
                "programme.finding.shift_share",
                gap=f"{diagnosis.gap_points:.1f}",
                mix=f"{diagnosis.mix_points:.1f}",
                performance=f"{diagnosis.performance_points:.1f}",
            )
        ]
        worst = next((b for b in diagnosis.business if b.performance_points > 0), None)
        if worst is not None:
            out.append(
                self.t(
                    "programme.finding.business",
                    business=self.business(worst.business_code),
                    points=f"{worst.performance_points:.1f}",
                    rate=_pct(worst.rate),
                    partner_rate=_pct(worst.partner_rate),
                )
            )
        for key, parts in (
            ("reason", diagnosis.reason),
            ("age_band", diagnosis.age_band),
            ("hour", diagnosis.hour),
        ):
            top = next((p for p in parts if p.points > 0), None)
            if top is None:
                continue
            label = (
                self.reason(top.key)
                if key == "reason"
                else (f"{top.key}:00" if key == "hour" else top.key)
            )
            out.append(self.t(f"programme.finding.{key}", value=label, points=f"{top.points:.1f}"))
        for st in diagnosis.stages:
            if st.coverage is None and st.partner_coverage is None:
                continue
            out.append(
                self.t(
                    "programme.finding.stage",
                    stage=self.stage(st.stage),
                    coverage=_pct(st.coverage),
                    partner_coverage=_pct(st.partner_coverage),
                    acceptance=_pct(st.acceptance),
                    partner_acceptance=_pct(st.partner_acceptance),
                )
            )
        return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"
