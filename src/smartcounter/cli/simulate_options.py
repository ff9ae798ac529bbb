"""The options ``simulate`` and its subcommands share, declared once.

Each is an ``Annotated`` type: a command's parameter ``week: WeekOption = None`` gets the
same flag, range and help everywhere (``simulate``, ``validate``, ``sensitivity``,
``optimise``, ``allocate``).
"""

from __future__ import annotations

from typing import Annotated

import typer

WeekOption = Annotated[
    str | None,
    typer.Option(
        "--week",
        help="Calibrate on this ISO week (e.g. 2018-W10; alone, on that week only; with --weeks, on the weeks ending with it).",
    ),
]
WeeksOption = Annotated[
    int | None,
    typer.Option(
        "--weeks", min=1, max=52, help="Calibrate on this many weeks (ending with --week)."
    ),
]
ReplicationsOption = Annotated[
    int | None, typer.Option("--replications", min=2, max=5000, help="Runs per scenario.")
]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed.")]

# The what-if: changes to the branch as it is (``simulate`` and ``simulate sensitivity``).
AddGreeterOption = Annotated[
    int, typer.Option("--add-greeter", help="Greeters to add (negative: remove).")
]
GreetersOption = Annotated[
    int | None,
    typer.Option("--greeters", min=0, help="Greeters (instead of the branch's own number)."),
]
SpecialistsOption = Annotated[
    int | None, typer.Option("--specialists", min=0, help="Smart-counter specialists.")
]
SmartCountersOption = Annotated[
    int | None, typer.Option("--smart-counters", min=0, help="Smart counters.")
]
TellersOption = Annotated[int | None, typer.Option("--tellers", min=1, help="Tellers.")]
TriageRoundsOption = Annotated[
    int | None, typer.Option("--triage-rounds", min=1, max=3, help="Triage rounds, 1-3.")
]
CashSplitOption = Annotated[
    bool | None,
    typer.Option(
        "--cash-split/--no-cash-split", help="Teller takes the cash, smart counter the rest."
    ),
]
BackupTellerOption = Annotated[
    bool | None,
    typer.Option("--backup-teller/--no-backup-teller", help="A teller helps authorise at peaks."),
]
