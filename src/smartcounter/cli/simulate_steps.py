"""Steps ``simulate`` and its subcommands share: the calibration weeks, the what-if.

Each stops the command with the same message for the same mistake (a bad week, an empty
store), whichever subcommand was run.
"""

from __future__ import annotations

from typing import Any

from smartcounter.cli.context import AppState, fail, week_of
from smartcounter.metrics.period import PeriodError
from smartcounter.simulation.calibrate import CalibrationError
from smartcounter.simulation.scenario import Scenario
from smartcounter.simulation.service import calibration_weeks
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table


def calibration_span(
    state: AppState, opened: Store, week: str | None, weeks: int | None
) -> list[str]:
    """The weeks to calibrate on (``--week``/``--weeks``, else the settings' default);
    stops with status 2 on a bad week or an empty store."""
    t = state.t
    if week is not None:  # a week of no business calibrates nothing: said as such
        week = week_of(state, week, held=True)
    try:
        return calibration_weeks(
            opened, week=week, weeks=weeks, default_weeks=state.settings.simulation.weeks
        )
    except PeriodError as exc:
        fail(t(exc.key, **exc.params))
    except CalibrationError:  # the store holds no transactions at all
        fail(t("simulation.empty_store"))


def what_if_scenario(state: AppState, opened: Store, branch: str, **changes: Any) -> Scenario:
    """The what-if of the command line's options; ``greeters`` is the number of greeters,
    ``add_greeter`` how many to add to the branch's own (known only after reading them).
    Removing more greeters than the branch has stops with status 2."""
    add = changes.pop("add_greeter")
    greeters = changes.pop("greeters", None)
    if greeters is None and add:
        staff = read_table(opened, "staff")
        have = staff.filter((staff["branch_id"] == branch) & (staff["role"] == "greeter")).height
        if have + add < 0:
            fail(state.t("simulation.too_few_greeters", branch=branch, have=have, add=add))
        greeters = have + add
    return Scenario(greeters=greeters, **changes)
