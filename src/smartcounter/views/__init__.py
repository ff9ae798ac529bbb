"""The one view model of figures that the bulletin and the dashboards both show.

A rate with its interval, a Pareto of un-migrated business, the triage funnel and depth, a
trend: each is a type here, built here from the metrics API's frames, and rendered by the
bulletin's HTML, workbook, PDF and JSON and by the web pages alike. Statuses come from the
programme's status model; codes are named in the reader's language by ``Labels``.
"""

from smartcounter.views.build import pareto_of, rate_of, series_of, triage_of
from smartcounter.views.labels import Labels
from smartcounter.views.model import (
    DEPTHS,
    STAGES,
    Depth,
    Pareto,
    ParetoRow,
    Rate,
    Series,
    Stage,
    TrendPoint,
    Triage,
)

__all__ = [
    "DEPTHS",
    "STAGES",
    "Depth",
    "Labels",
    "Pareto",
    "ParetoRow",
    "Rate",
    "Series",
    "Stage",
    "TrendPoint",
    "Triage",
    "pareto_of",
    "rate_of",
    "series_of",
    "triage_of",
]
