"""Which parts each scorecard role may be scored on: only what the role itself can move.

A plain module of names (no imports of the package) so that the settings can check a
bank's ``[scorecard.<role>]`` tables against it without a cycle.
"""

from __future__ import annotations

# Scorecard roles, in the order the command and the workbook list them.
ROLES = ("greeter", "lobby_manager", "stm_specialist", "teller", "wealth_manager", "director")

# Every part, 0–100 each, in the order of the columns (metrics.md, Staff scorecard):
PARTS = (
    "s1_coverage",  # greeter: migratable visits triaged at the door ÷ their fair part
    "s1_acceptance",  # accepted ÷ their stage-1 touches
    "s2_coverage",  # hall staff: migratable visits triaged in the hall ÷ their fair part
    "s2_acceptance",  # accepted ÷ their stage-2 touches
    "s3_coverage",  # teller: window customers with migratable business re-promoted
    "s3_acceptance",  # accepted ÷ their stage-3 touches
    "valid_reasons",  # teller: migratable business kept at the window with a real reason
    "triage_acceptance",  # accepted ÷ their touches at any stage
    "authorisations",  # specialist: smart-counter authorisations ÷ their fair part
    "triaged_migration",  # migration rate of the business of the customers they triaged
    "director",  # the branch director's quarterly score
)

# The parts a role can move, and so may be scored on; a bank's weights may drop a part
# (weight 0) but never add one from outside its role's list: a teller cannot move the
# migration of customers sent on before they reached the window, a greeter cannot move
# stage 3. The packaged defaults (defaults.toml) weigh every part listed here.
MOVABLE: dict[str, frozenset[str]] = {
    "greeter": frozenset({"s1_coverage", "s1_acceptance", "director"}),
    "lobby_manager": frozenset({"s2_coverage", "s2_acceptance", "triaged_migration", "director"}),
    "stm_specialist": frozenset(
        {"s2_coverage", "s2_acceptance", "authorisations", "triaged_migration", "director"}
    ),
    "teller": frozenset({"s3_coverage", "s3_acceptance", "valid_reasons", "director"}),
    "wealth_manager": frozenset({"triage_acceptance", "triaged_migration", "director"}),
    "director": frozenset({"director"}),
}

# Reasons that explain nothing: migratable business kept at the window with one of these
# (or none) is not "done at the window with a valid reason".
NO_REASON = frozenset({"unknown", "none"})
