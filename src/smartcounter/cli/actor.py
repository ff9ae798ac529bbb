"""Who the audit log says made a change from the command line."""

from __future__ import annotations

import getpass

from smartcounter.accounts.roles import Actor, system_actor

CLI_ACTOR = "cli"


def command_actor() -> Actor:
    """The actor of a command: the operating-system user, or ``cli`` when none is known."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name and no user database entry (containers)
        name = ""
    return system_actor(name or CLI_ACTOR)
