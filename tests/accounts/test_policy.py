"""The password policy: length (configurable), letters and digits, not the user name."""

from __future__ import annotations

import pytest

from smartcounter.accounts.errors import (
    PasswordIsUsername,
    PasswordNeedsLettersAndDigits,
    PasswordsDiffer,
    PasswordTooShort,
)
from smartcounter.accounts.policy import DEFAULT_POLICY, PasswordPolicy
from smartcounter.settings import LobbySettings


class TestPasswordPolicy:
    def test_ten_characters_with_letters_and_digits_pass_by_default(self) -> None:
        DEFAULT_POLICY.check("branch2026x", username="li.na", confirm="branch2026x")

    @pytest.mark.parametrize(
        ("password", "error"),
        [
            ("abc12345", PasswordTooShort),
            ("onlyletterslong", PasswordNeedsLettersAndDigits),
            ("12345678901", PasswordNeedsLettersAndDigits),
            ("li.na-2026-x", PasswordIsUsername),
            ("LI.NA20261234", PasswordIsUsername),
            ("an.il9876543", PasswordIsUsername),
        ],
    )
    def test_each_rule_refuses_with_its_own_message(
        self, password: str, error: type[Exception]
    ) -> None:
        with pytest.raises(error):
            DEFAULT_POLICY.check(password, username="li.na")

    def test_the_confirmation_must_match(self) -> None:
        with pytest.raises(PasswordsDiffer):
            DEFAULT_POLICY.check("branch2026x", username="li.na", confirm="branch2026y")

    def test_the_length_is_configured(self) -> None:
        policy = PasswordPolicy.of(LobbySettings(password_min_length=14))
        with pytest.raises(PasswordTooShort) as refused:
            policy.check("branch2026xyz", username="li.na")
        assert refused.value.params == {"min": 14}
        policy.check("branch2026xyzw", username="li.na")
