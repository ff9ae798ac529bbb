"""What the accounts refuse: weak passwords, locked-out logins, unlinked or shared staff."""

from __future__ import annotations

from smartcounter.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound


class InvalidLogin(NotAuthenticated):
    """Wrong username or password (never says which)."""

    key = "lobby.errors.invalid_login"


class LoginLocked(NotAuthenticated):
    """Too many failed logins of this account or from this address: try again later.

    Said the same whether the account exists or not.
    """

    status_code = 429
    key = "accounts.errors.locked"


class UserNotFound(NotFound):
    key = "accounts.errors.user_not_found"


class PasswordTooShort(Invalid):
    key = "accounts.errors.password_too_short"


class PasswordNeedsLettersAndDigits(Invalid):
    key = "accounts.errors.password_letters_digits"


class PasswordIsUsername(Invalid):
    key = "accounts.errors.password_is_username"


class PasswordsDiffer(Invalid):
    key = "accounts.errors.passwords_differ"


class WrongPassword(Forbidden):
    """The current password given to change it is not the user's."""

    key = "accounts.errors.wrong_password"


class BranchRequired(Invalid):
    key = "accounts.errors.branch_required"


class AnalystHasNoBranch(Invalid):
    key = "accounts.errors.analyst_no_branch"


class StaffRequired(Invalid):
    key = "accounts.errors.staff_required"


class StaffAlreadyLinked(Conflict):
    key = "accounts.errors.staff_linked"


class OwnAccount(Forbidden):
    """Nobody disables their own account or changes their own role."""

    key = "accounts.errors.own_account"
