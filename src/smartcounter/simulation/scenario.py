"""What-ifs: change staffing, devices or practice, and get the changed branch model.

Counts are absolute (``greeters=0`` removes the greeters); None leaves a setting as the
branch has it. A stage that a what-if starts (a greeter where nobody triaged at the door,
``triage_rounds=3`` where the tellers did not re-promote) works like the network's typical
branch that practises it (the median coverage calibration found), with the branch's own
guidance quality; a stage that loses its staff keeps its practice, and whoever is left
covers it as far as they are free.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from smartcounter.simulation.model import BranchModel, Practice, Staffing


class ScenarioError(ValueError):
    """A what-if that cannot be simulated (no teller, a negative count, …)."""


@dataclass(frozen=True)
class Scenario:
    """Changes to a branch: staff, devices, triage rounds, cash split, backup teller."""

    greeters: int | None = None
    lobby_managers: int | None = None
    specialists: int | None = None
    tellers: int | None = None
    smart_counters: int | None = None
    teller_windows: int | None = None
    triage_rounds: int | None = None
    cash_split: bool | None = None
    backup_teller: bool | None = None

    @property
    def is_baseline(self) -> bool:
        """True when nothing is changed."""
        return all(getattr(self, f.name) is None for f in fields(self))

    def apply(self, model: BranchModel) -> BranchModel:
        """``model`` with this scenario's changes."""
        staffing = self._staffing(model.staffing)
        practice = self._practice(model, staffing)
        return replace(model, staffing=staffing, practice=practice)

    def _staffing(self, s: Staffing) -> Staffing:
        changes = {
            f.name: getattr(self, f.name)
            for f in fields(Staffing)
            if getattr(self, f.name, None) is not None
        }
        if any(v < 0 for v in changes.values()):
            raise ScenarioError("staff and device counts cannot be negative")
        staffing = replace(s, **changes)
        if staffing.tellers < 1:
            raise ScenarioError("a branch needs at least one teller")
        if self.tellers is not None and self.teller_windows is None:
            # A teller added where every window is staffed opens one more window.
            staffing = replace(staffing, teller_windows=max(s.teller_windows, staffing.tellers))
        if staffing.teller_windows < 1:
            raise ScenarioError("a branch needs at least one teller window")
        return staffing

    def _practice(self, model: BranchModel, staffing: Staffing) -> Practice:
        p = model.practice
        coverage = list(p.coverage)
        base = model.staffing
        if self.triage_rounds is not None:
            if not 0 <= self.triage_rounds <= 3:
                raise ScenarioError("triage rounds are 0, 1, 2 or 3")
            for stage in range(3):
                if stage < self.triage_rounds:
                    coverage[stage] = coverage[stage] or model.new_stage_coverage[stage]
                else:
                    coverage[stage] = 0.0
        # New door or hall staff bring the practice of their stage with them.
        if staffing.greeters > base.greeters:
            coverage[0] = coverage[0] or model.new_stage_coverage[0]
        hall = staffing.specialists + staffing.lobby_managers
        if hall > base.specialists + base.lobby_managers:
            coverage[1] = coverage[1] or model.new_stage_coverage[1]
        quality = list(p.quality)
        practised = [q for q, c in zip(p.quality, p.coverage, strict=True) if c > 0]
        for stage in range(3):
            if p.coverage[stage] == 0 and coverage[stage] > 0:
                # A stage the branch starts: its staff guide as well as they do elsewhere.
                quality[stage] = sum(practised) / len(practised) if practised else quality[stage]
        return replace(
            p,
            coverage=(coverage[0], coverage[1], coverage[2]),
            quality=(quality[0], quality[1], quality[2]),
            cash_split=p.cash_split if self.cash_split is None else self.cash_split,
            backup_teller=p.backup_teller if self.backup_teller is None else self.backup_teller,
        )
