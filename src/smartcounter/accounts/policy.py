"""The password policy: long enough, letters and digits, not the user name."""

from __future__ import annotations

from dataclasses import dataclass

from smartcounter.accounts.errors import (
    PasswordIsUsername,
    PasswordNeedsLettersAndDigits,
    PasswordsDiffer,
    PasswordTooShort,
)
from smartcounter.settings import LobbySettings


@dataclass(frozen=True)
class PasswordPolicy:
    """What a new password must be (``[lobby] password_min_length``)."""

    min_length: int = 10

    @classmethod
    def of(cls, settings: LobbySettings) -> PasswordPolicy:
        """The policy the settings configure."""
        return cls(min_length=settings.password_min_length)

    def check(self, password: str, *, username: str, confirm: str | None = None) -> None:
        """Raise the first rule ``password`` breaks; ``confirm``, when given, must equal it."""
        if confirm is not None and confirm != password:
            raise PasswordsDiffer()
        if len(password) < self.min_length:
            raise PasswordTooShort(min=self.min_length)
        if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
            raise PasswordNeedsLettersAndDigits()
        # The name, in any case or reversed, or with a few characters added, is guessed first.
        folded = password.casefold()
        name = username.casefold()
        inside = len(name) >= 3 and (name in folded or name[::-1] in folded)
        if name and (folded in (name, name[::-1]) or inside):
            raise PasswordIsUsername()


DEFAULT_POLICY = PasswordPolicy.of(LobbySettings())
