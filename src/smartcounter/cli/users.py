"""``smartcounter users add|list|disable|enable|reset-password|set-role``: the bank's accounts.

Each change runs in one transaction with its audit entry, whose actor is the operating-
system user. Passwords are read from standard input only (``--password-stdin``), twice:
the new one and its confirmation, one per line, so they never appear in a process list
or a shell history.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from smartcounter.cli.context import AppState, Exit, fail, state_of
from smartcounter.kit.tabular import OutputFormat

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from smartcounter.accounts.models import User
    from smartcounter.accounts.roles import Role
    from smartcounter.lobby.context import LobbyContext

T = TypeVar("T")

users = typer.Typer(
    name="users",
    help="账号：新建、列出、停用、启用、重置密码、调整角色。Accounts of the lobby service.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

RoleOption = typer.Option(
    "--role",
    help="centre_analyst, director, lobby_manager, greeter, stm_specialist, teller, wealth_manager.",
)
BranchOption = typer.Option("--branch", help="Branch id (every role but centre_analyst).")
StaffOption = typer.Option("--staff", help="Staff id of the branch this account is.")
PasswordStdin = typer.Option(
    "--password-stdin", help="Read the password, then its confirmation, from standard input."
)


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users")


def _role(state: AppState, value: str) -> Role:
    from smartcounter.accounts.roles import Role

    try:
        return Role(value)
    except ValueError:
        fail(state.t("accounts.cli.unknown_role", value=value, roles=", ".join(Role)))


def _read_passwords(state: AppState, password_stdin: bool) -> tuple[str, str]:
    """The new password and its confirmation: two lines of standard input."""
    if not password_stdin:
        fail(state.t("accounts.cli.password_stdin_needed"))
    lines = [sys.stdin.readline() for _ in range(2)]
    if not lines[0] or not lines[1]:  # end of input before the second line
        fail(state.t("accounts.cli.password_stdin_short"))
    new, confirm = (line.rstrip("\r\n") for line in lines)
    return new, confirm


@contextmanager
def _unit_of_work(state: AppState, *, create: bool = False) -> Iterator[Session]:
    """One transaction on the service database; a refused change exits 2, nothing written.

    Only ``create`` (a new account) makes a SQLite database that is not there yet: any
    other command stops with a message, the folder left as it was.
    """
    from smartcounter.database import database_exists, database_url, sqlite_file
    from smartcounter.errors import SmartCounterError
    from smartcounter.lobby.database import open_database

    if not create and not database_exists(state.settings):
        fail(
            state.t("accounts.cli.no_database", path=str(sqlite_file(database_url(state.settings))))
        )
    database = open_database(state.settings)
    try:
        with database.unit_of_work() as session:
            yield session
    except SmartCounterError as exc:
        fail(state.t(exc.key, **exc.params))
    finally:
        database.dispose()


def _change(
    ctx: typer.Context, change: Callable[..., T], /, *, create: bool = False, **arguments: object
) -> T:
    """Run ``change(session=, actor=, now=, **arguments)`` as the OS user, in one transaction
    (``create``: making the database if it is not there yet).

    A ``branch_id`` the lobby does not know yet, or a ``staff_id`` it does not, is first
    taken from the data store, in the same transaction: an import followed by ``users add``
    needs no ``serve`` in between."""
    from smartcounter.cli.actor import command_actor
    from smartcounter.lobby.context import build_context

    state = state_of(ctx)
    lobby = build_context(state.settings)
    now = lobby.now()
    with _unit_of_work(state, create=create) as session:
        branch = arguments.get("branch_id")
        staff = arguments.get("staff_id") or getattr(arguments.get("user_in"), "staff_id", None)
        if isinstance(branch, str):
            _known_from_store(session, lobby, state, branch, staff)
        return change(session=session, actor=command_actor(), now=now, **arguments)


def _known_from_store(
    session: Session, lobby: LobbyContext, state: AppState, branch: str, staff: object
) -> None:
    """Load ``branch`` (and its staff) from the data store if the lobby lacks it or ``staff``."""
    from smartcounter.accounts.roles import system_actor
    from smartcounter.lobby import repository as repo
    from smartcounter.lobby.setup import load_from_store
    from smartcounter.store.layout import Store, StoreNotFoundError

    lacking_staff = isinstance(staff, str) and repo.get_staff(session, staff) is None
    if repo.get_branch(session, branch) is not None and not lacking_staff:
        return
    try:
        store = Store.open(state.settings.store)
    except StoreNotFoundError:
        return  # nothing to take: the change says what is missing
    load_from_store(
        session=session, ctx=lobby, actor=system_actor("users"), store=store, branch_id=branch
    )


def _said(state: AppState, value: str | None) -> str:
    return value if value else state.t("accounts.cli.none")


def _noting_staff_role(change: Callable[..., User]) -> Callable[..., tuple[User, str | None]]:
    """``change``, also giving the role of the account's member of staff if it is another."""
    from smartcounter.accounts.service import staff_role_if_other

    def run(*, session: Session, **arguments: object) -> tuple[User, str | None]:
        user = change(session=session, **arguments)
        return user, staff_role_if_other(session, user)

    return run


def _warn_if_other_role(state: AppState, user: User, staff_role: str | None) -> None:
    """Say so (on standard error) when the account's member of staff has another role."""
    from smartcounter.i18n import Term

    if staff_role is None:
        return
    message = state.t(
        "accounts.cli.staff_role_differs",
        staff=user.staff_id,
        staff_role=Term(staff_role, key=f"lobby.role.{staff_role}"),
        role=Term(user.role.value, key=f"lobby.role.{user.role.value}"),
    )
    print(message, file=sys.stderr)


@users.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (letters, digits, _ . -).")],
    role: Annotated[str, RoleOption],
    branch: Annotated[str | None, BranchOption] = None,
    staff: Annotated[str | None, StaffOption] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="The person's name, as pages show it.")
    ] = None,
    password_stdin: Annotated[bool, PasswordStdin] = False,
) -> None:
    """新建账号（密码从标准输入读两次）。Create an account."""
    from pydantic import ValidationError

    from smartcounter.accounts import service as accounts
    from smartcounter.accounts.policy import PasswordPolicy
    from smartcounter.accounts.schemas import UserCreate

    state = state_of(ctx)
    chosen = _role(state, role)
    password, confirm = _read_passwords(state, password_stdin)
    try:
        user_in = UserCreate(
            username=name, password=password, role=chosen, staff_id=staff, display_name=display_name
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        fail(state.t("accounts.cli.bad_value", field=state.t(f"accounts.column.{field}")))
    user, staff_role = _change(
        ctx,
        _noting_staff_role(accounts.create_user),
        create=True,
        branch_id=branch,
        user_in=user_in,
        confirm=confirm,
        policy=PasswordPolicy.of(state.settings.lobby),
    )
    print(
        state.t(
            "accounts.cli.added",
            username=user.username,
            role=state.t(f"lobby.role.{chosen.value}"),
            branch=_said(state, user.branch_id),
            staff=_said(state, user.staff_id),
        )
    )
    _warn_if_other_role(state, user, staff_role)


@users.command("list")
def list_users(
    ctx: typer.Context,
    branch: Annotated[str | None, typer.Option("--branch", help="Only this branch.")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """列出账号。List the accounts."""
    from smartcounter.accounts import repository as repo
    from smartcounter.database import database_exists
    from smartcounter.kit.tabular import write_rows
    from smartcounter.lobby.context import build_context

    state = state_of(ctx)
    lobby = build_context(state.settings)
    columns = [
        "username",
        "role",
        "branch_id",
        "staff_id",
        "display_name",
        "active",
        "last_login_at",
    ]
    rows: list[list[object]] = []
    if database_exists(state.settings):  # none yet: no accounts, and nothing created
        with _unit_of_work(state) as session:
            rows = [_row(u, lobby.local) for u in repo.users_of(session, branch)]
    if fmt is OutputFormat.TABLE:
        if not rows:
            if branch is not None:
                print(state.t("accounts.cli.no_users_of_branch", branch=branch))
            else:
                print(state.t("accounts.cli.no_users"))
            raise typer.Exit(Exit.OK)
        t = state.t
        write_rows(
            fmt,
            columns,
            rows,
            headers=[t(f"accounts.column.{c}") for c in columns],
            formatters={
                "role": lambda r: t(f"lobby.role.{r}"),
                "active": lambda a: t("accounts.cli.active" if a else "accounts.cli.inactive"),
            },
        )
    else:
        write_rows(fmt, columns, rows)


def _row(user: User, local: Callable[..., object]) -> list[object]:
    return [
        user.username,
        user.role.value,
        user.branch_id,
        user.staff_id,
        user.display_name,
        user.active,
        local(user.last_login_at.replace(microsecond=0)) if user.last_login_at else None,
    ]


@users.command("disable")
def disable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """停用账号（其登录会话随即结束）。Disable an account."""
    from smartcounter.accounts import service as accounts

    _change(ctx, accounts.set_active, username=name, active=False)
    print(state_of(ctx).t("accounts.cli.disabled", username=name))


@users.command("enable")
def enable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """启用账号。Enable an account."""
    from smartcounter.accounts import service as accounts

    _change(ctx, accounts.set_active, username=name, active=True)
    print(state_of(ctx).t("accounts.cli.enabled", username=name))


@users.command("reset-password")
def reset_password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: Annotated[bool, PasswordStdin] = False,
) -> None:
    """重置密码（从标准输入读两次）。Give an account a new password."""
    from smartcounter.accounts import service as accounts
    from smartcounter.accounts.policy import PasswordPolicy

    state = state_of(ctx)
    password, confirm = _read_passwords(state, password_stdin)
    _change(
        ctx,
        accounts.reset_password,
        username=name,
        password=password,
        confirm=confirm,
        policy=PasswordPolicy.of(state.settings.lobby),
    )
    print(state.t("accounts.cli.password_reset", username=name))


@users.command("set-role")
def set_role(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, RoleOption],
    branch: Annotated[str | None, BranchOption] = None,
    staff: Annotated[str | None, StaffOption] = None,
) -> None:
    """调整角色（及网点、员工）。Change an account's role."""
    from smartcounter.accounts import service as accounts

    state = state_of(ctx)
    chosen = _role(state, role)
    user, staff_role = _change(
        ctx,
        _noting_staff_role(accounts.set_role),
        username=name,
        role=chosen,
        branch_id=branch,
        staff_id=staff,
    )
    print(
        state.t(
            "accounts.cli.role_set",
            username=name,
            role=state.t(f"lobby.role.{chosen.value}"),
            branch=_said(state, user.branch_id),
            staff=_said(state, user.staff_id),
        )
    )
    _warn_if_other_role(state, user, staff_role)
