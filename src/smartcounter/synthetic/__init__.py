"""A synthetic, province-like branch network whose migration rates follow from how each
branch works: staffing, triage rounds, devices, practices and customers' age."""

from smartcounter.simulation.behaviour import Behaviour
from smartcounter.synthetic.network import (
    SOURCE_BRANCHES,
    SOURCE_WEEK_START,
    Network,
    NetworkSpec,
    build_network,
)
from smartcounter.synthetic.simulate import simulate_network
from smartcounter.synthetic.writer import (
    GenerationSummary,
    generate_network,
    write_network,
    write_truth,
)

__all__ = [
    "SOURCE_BRANCHES",
    "SOURCE_WEEK_START",
    "Behaviour",
    "GenerationSummary",
    "Network",
    "NetworkSpec",
    "build_network",
    "generate_network",
    "simulate_network",
    "write_network",
    "write_truth",
]
