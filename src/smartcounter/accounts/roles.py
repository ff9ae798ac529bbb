"""Roles, what each may do, and the actor a request or a command runs as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from smartcounter.errors import Forbidden


class Role(StrEnum):
    """A user's job; decides their permissions."""

    CENTRE_ANALYST = "centre_analyst"
    DIRECTOR = "director"
    LOBBY_MANAGER = "lobby_manager"
    GREETER = "greeter"
    STM_SPECIALIST = "stm_specialist"
    TELLER = "teller"
    WEALTH_MANAGER = "wealth_manager"


class DeviceKind(StrEnum):
    """A device that works without a person logging in."""

    KIOSK = "kiosk"
    DISPLAY = "display"


class Permission(StrEnum):
    """One thing an actor may do in a branch."""

    BOARD = "board.view"  # public lobby board: queues, numbers called, waits
    VIEW = "lobby.view"  # customers, prompts, tickets in detail
    ISSUE = "ticket.issue"
    TRIAGE_1 = "triage.stage1"
    TRIAGE_2 = "triage.stage2"
    TRIAGE_3 = "triage.stage3"
    REFER = "ticket.refer"
    SERVE = "ticket.serve"
    AUTHORISE = "stm.authorise"
    TERMINAL = "stm.status"
    SETUP = "setup.edit"
    CLOSE_DAY = "day.close"
    AUDIT = "audit.view"
    USERS = "users.manage"
    DEVICES = "devices.manage"
    ALL_BRANCHES = "branches.all"  # set-up across branches: load from the store
    NETWORK_DASHBOARD = "dashboard.network"  # every branch's figures, the bulletin
    BRANCH_DASHBOARD = "dashboard.branch"  # one branch's figures and staff scorecards
    STAFF_SCORE = "scorecard.score"  # the director's own quarterly score of staff


_HALL = frozenset(
    {Permission.BOARD, Permission.VIEW, Permission.ISSUE, Permission.TRIAGE_1, Permission.REFER}
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CENTRE_ANALYST: frozenset(
        {
            Permission.BOARD,
            Permission.VIEW,
            Permission.SETUP,
            Permission.CLOSE_DAY,
            Permission.AUDIT,
            Permission.USERS,
            Permission.DEVICES,
            Permission.ALL_BRANCHES,
            Permission.NETWORK_DASHBOARD,
            Permission.BRANCH_DASHBOARD,
        }
    ),
    Role.DIRECTOR: frozenset(Permission) - {Permission.ALL_BRANCHES, Permission.NETWORK_DASHBOARD},
    Role.LOBBY_MANAGER: _HALL
    | {Permission.TRIAGE_2, Permission.SERVE, Permission.AUTHORISE, Permission.TERMINAL},
    Role.GREETER: _HALL,
    Role.STM_SPECIALIST: _HALL
    | {Permission.TRIAGE_2, Permission.SERVE, Permission.AUTHORISE, Permission.TERMINAL},
    Role.TELLER: frozenset(
        {Permission.BOARD, Permission.VIEW, Permission.SERVE, Permission.TRIAGE_3, Permission.REFER}
    ),
    Role.WEALTH_MANAGER: frozenset(
        {Permission.BOARD, Permission.VIEW, Permission.SERVE, Permission.REFER}
    ),
}

DEVICE_PERMISSIONS: dict[DeviceKind, frozenset[Permission]] = {
    DeviceKind.KIOSK: frozenset({Permission.BOARD, Permission.ISSUE}),
    DeviceKind.DISPLAY: frozenset({Permission.BOARD}),
}

# Which roles a branch director may give; only a centre analyst makes directors.
DIRECTOR_ASSIGNABLE = frozenset(Role) - {Role.CENTRE_ANALYST, Role.DIRECTOR}


class ActorKind(StrEnum):
    USER = "user"
    DEVICE = "device"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, a device, or the system (command line, tests)."""

    kind: ActorKind
    name: str
    permissions: frozenset[Permission]
    branch_id: str | None = None
    user_id: int | None = None
    device_id: int | None = None
    role: Role | None = None
    staff_id: str | None = None

    @property
    def label(self) -> str:
        """How the audit log names this actor."""
        return f"{self.kind.value}:{self.name}"

    def sees(self, branch_id: str) -> bool:
        """True when this actor may act in ``branch_id`` at all."""
        return self.branch_id is None or self.branch_id == branch_id

    def can(self, permission: Permission, branch_id: str | None = None) -> bool:
        """True when this actor holds ``permission`` (in ``branch_id`` when given)."""
        if branch_id is not None and not self.sees(branch_id):
            return False
        return permission in self.permissions

    def require(self, permission: Permission, branch_id: str | None = None) -> None:
        """Raise Forbidden unless this actor holds ``permission`` (in ``branch_id``)."""
        if not self.can(permission, branch_id):
            raise Forbidden(permission=permission.value)


def user_actor(
    *, user_id: int, username: str, role: Role, branch_id: str | None, staff_id: str | None
) -> Actor:
    """The actor of a logged-in user."""
    scope = None if role is Role.CENTRE_ANALYST else branch_id
    return Actor(
        kind=ActorKind.USER,
        name=username,
        permissions=ROLE_PERMISSIONS[role],
        branch_id=scope,
        user_id=user_id,
        role=role,
        staff_id=staff_id,
    )


def device_actor(*, device_id: int, name: str, kind: DeviceKind, branch_id: str) -> Actor:
    """The actor of a kiosk or calling display."""
    return Actor(
        kind=ActorKind.DEVICE,
        name=f"{kind.value}-{device_id}",
        permissions=DEVICE_PERMISSIONS[kind],
        branch_id=branch_id,
        device_id=device_id,
    )


def system_actor(name: str = "system", *, staff_id: str | None = None) -> Actor:
    """An actor allowed everything everywhere: the command line and tests."""
    return Actor(
        kind=ActorKind.SYSTEM, name=name, permissions=frozenset(Permission), staff_id=staff_id
    )
