"""Card and account numbers: kept as a keyed hash, shown masked, never stored in clear.

The hash (HMAC-SHA256 under ``lobby.customer_key``) is what the lobby stores, links
repeat visits by and exports to the store as ``visits.customer_id``; the masked form
(``6222 **** **** 2222``) is all a page or an answer ever shows.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

from smartcounter.i18n import Lang, translate
from smartcounter.settings import DEFAULT_CUSTOMER_KEY, LobbySettings

log = logging.getLogger("smartcounter.lobby")

HASH_LENGTH = 64
_HASH = re.compile(r"^[0-9a-f]{64}$")
_SEPARATORS = re.compile(r"[\s\-]")
SHOWN = 4  # digits shown at each end of a masked number


def normalised(number: str) -> str:
    """The number as the bank knows it: no spaces or dashes, upper case."""
    return _SEPARATORS.sub("", number).upper()


def customer_hash(key: str, number: str) -> str:
    """The keyed hash of a card or account number (64 hex digits)."""
    digest = hmac.new(key.encode("utf-8"), normalised(number).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()


def is_hash(value: str) -> bool:
    """True for a value that already is a customer hash (migrated rows)."""
    return bool(_HASH.match(value))


def mask(number: str) -> str:
    """First and last four characters with the middle hidden: ``6222 **** **** 2222``."""
    plain = normalised(number)
    if len(plain) <= 2 * SHOWN:
        # Too short to show both ends without giving most of it away.
        return "*" * max(0, len(plain) - 2) + plain[-2:]
    return f"{plain[:SHOWN]} **** **** {plain[-SHOWN:]}"


def warn_if_default_key(settings: LobbySettings, lang: Lang = Lang.ZH) -> None:
    """Log a warning, in ``lang``, when the customer key is the shipped default."""
    if settings.customer_key == DEFAULT_CUSTOMER_KEY:
        log.warning(translate("lobby.cli.default_customer_key", lang))
