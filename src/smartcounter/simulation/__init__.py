"""The lobby simulator: one branch's lobby, calibrated from the store, what-ifs replicated.

``calibrate(store, settings, branch_id, weeks)`` reads a branch through the metrics API
into a ``BranchModel``; ``simulate(model, scenario, replications, rng)`` runs it as a
discrete-event simulation, one week per replication; ``what_if`` runs a baseline and a
``Scenario`` on the same random streams and compares them with confidence intervals.
"""

from smartcounter.simulation.calibrate import CalibrationError, calibrate
from smartcounter.simulation.model import BranchModel, Practice, Staffing
from smartcounter.simulation.results import SimulationResult, compare
from smartcounter.simulation.runner import WhatIf, simulate, what_if
from smartcounter.simulation.scenario import Scenario, ScenarioError
from smartcounter.simulation.service import WhatIfReport, run_what_if

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
    "calibrate",
    "compare",
    "run_what_if",
    "simulate",
    "what_if",
]
