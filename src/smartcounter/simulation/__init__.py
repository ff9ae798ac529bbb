"""The lobby simulator: one branch's lobby, calibrated from the store, what-ifs replicated.

``calibrate(store, settings, branch_id, weeks)`` reads a branch through the metrics API
into a ``BranchModel``; ``simulate(model, scenario, replications, rng)`` runs it as a
discrete-event simulation, one week per replication; ``what_if`` runs a baseline and a
``Scenario`` on the same random streams and compares them with confidence intervals.

The lobby's shared parts — customer behaviour (``behaviour``) and the compiled queues
(``queues``), which the synthetic generator runs — import without the rest: the names
below load on first use. ``calibrate`` the function is imported from its module
(``from smartcounter.simulation.calibrate import calibrate``): the package's attribute of
that name is the module ``calibrate`` as soon as anything has imported it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartcounter.simulation.calibrate import CalibrationError
    from smartcounter.simulation.model import BranchModel, Practice, Staffing
    from smartcounter.simulation.results import SimulationResult, compare
    from smartcounter.simulation.runner import WhatIf, simulate, what_if
    from smartcounter.simulation.scenario import Scenario, ScenarioError
    from smartcounter.simulation.service import WhatIfReport, run_what_if

_WHERE = {
    "BranchModel": "model",
    "CalibrationError": "calibrate",
    "Practice": "model",
    "Scenario": "scenario",
    "ScenarioError": "scenario",
    "SimulationResult": "results",
    "Staffing": "model",
    "WhatIf": "runner",
    "WhatIfReport": "service",
    "compare": "results",
    "run_what_if": "service",
    "simulate": "runner",
    "what_if": "runner",
}

__all__ = [
    "BranchModel",
    "CalibrationError",
    "Practice",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Staffing",
    "WhatIf",
    "WhatIfReport",
    "compare",
    "run_what_if",
    "simulate",
    "what_if",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
