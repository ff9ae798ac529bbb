"""Customer prompts on the lobby tablet (PAD提示), as rules kept in a data file.

``rules.toml`` ships in the package; a bank's own file replaces the sections it names.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from smartcounter.i18n import Translator
from smartcounter.lobby.routing import RoutingRules

CONDITION_LISTS = ("tier", "age_band", "queue", "business_any")
CONDITION_FLAGS = ("has_mobile_banking", "follow_up", "has_digital_alternative")
ACTIONS = ("refer_wealth",)


class RulesError(ValueError):
    """The rules file cannot be used; the message names the rule and the problem."""


@dataclass(frozen=True)
class PromptRule:
    """Show ``message`` when every condition given holds."""

    id: str
    message: str | None = None
    inline: dict[str, str] = field(default_factory=dict)
    action: str | None = None
    lists: dict[str, frozenset[str]] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerFacts:
    """What the rules may look at: the ticket and what is known of the customer."""

    tier: str | None
    age_band: str | None
    queue: str | None
    business: tuple[str, ...]
    has_mobile_banking: bool | None
    follow_up: bool
    alternatives: tuple[str, ...]

    def value(self, name: str) -> object:
        if name == "has_digital_alternative":
            return bool(self.alternatives)
        return getattr(self, name)


@dataclass(frozen=True)
class Prompt:
    """A prompt that fired: its rule, the action offered, and its text parameters."""

    rule_id: str
    action: str | None
    message: str | None
    inline: dict[str, str]
    products: tuple[str, ...] = ()

    def text(self, t: Translator) -> str:
        """The prompt in the translator's language."""
        products = (
            "、".join(t(f"lobby.product.{p}") for p in self.products) if self.products else ""
        )
        if self.inline:
            template = self.inline.get(t.lang.value) or next(iter(self.inline.values()))
            return template.format(products=products) if "{products" in template else template
        assert self.message is not None
        return t(self.message, products=products) if self.products else t(self.message)


@dataclass(frozen=True)
class LobbyRules:
    """Routing details and prompt rules, from the shipped file and a bank's own."""

    routing: RoutingRules
    prompts: tuple[PromptRule, ...]


def _matches(rule: PromptRule, facts: CustomerFacts) -> bool:
    for name, allowed in rule.lists.items():
        if name == "business_any":
            if not allowed.intersection(facts.business):
                return False
            continue
        value = facts.value(name)
        if value is None or str(value) not in allowed:
            return False
    for name, wanted in rule.flags.items():
        value = facts.value(name)
        # An unknown fact (e.g. mobile banking not asked) never fires a rule.
        if value is None or bool(value) is not wanted:
            return False
    return True


def evaluate(rules: Sequence[PromptRule], facts: CustomerFacts) -> list[Prompt]:
    """The prompts that fire for ``facts``, in the order of the rules."""
    return [
        Prompt(
            rule_id=rule.id,
            action=rule.action,
            message=rule.message,
            inline=rule.inline,
            products=facts.alternatives if rule.flags.get("has_digital_alternative") else (),
        )
        for rule in rules
        if _matches(rule, facts)
    ]


def _prompt_rule(raw: dict[str, Any], where: str) -> PromptRule:
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RulesError(f"{where}: every [[prompts]] entry needs an id")
    lists: dict[str, frozenset[str]] = {}
    flags: dict[str, bool] = {}
    inline = {
        k.removeprefix("message_"): str(v) for k, v in raw.items() if k.startswith("message_")
    }
    known = {"id", "message", "action", *CONDITION_LISTS, *CONDITION_FLAGS}
    for key, value in raw.items():
        if key in CONDITION_LISTS:
            if not isinstance(value, list):
                raise RulesError(f"{where}: prompt {rule_id}: {key} must be a list")
            lists[key] = frozenset(str(v) for v in value)
        elif key in CONDITION_FLAGS:
            if not isinstance(value, bool):
                raise RulesError(f"{where}: prompt {rule_id}: {key} must be true or false")
            flags[key] = value
        elif key not in known and not key.startswith("message_"):
            raise RulesError(f"{where}: prompt {rule_id}: unknown condition {key!r}")
    action = raw.get("action")
    if action is not None and action not in ACTIONS:
        raise RulesError(f"{where}: prompt {rule_id}: unknown action {action!r}")
    message = raw.get("message")
    if message is None and not inline:
        raise RulesError(f"{where}: prompt {rule_id}: needs message or message_zh/message_en")
    return PromptRule(
        id=rule_id,
        message=str(message) if message is not None else None,
        inline=inline,
        action=action,
        lists=lists,
        flags=flags,
    )


def load_rules(path: Path | None = None) -> LobbyRules:
    """The shipped rules, with the sections of a bank's own file at ``path`` over them."""
    shipped = (resources.files("smartcounter.lobby") / "data" / "rules.toml").read_text("utf-8")
    body = tomllib.loads(shipped)
    where = "rules.toml"
    if path is not None:
        where = str(path)
        try:
            own = tomllib.loads(path.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RulesError(f"{path}: {exc}") from exc
        body["routing"] = {**body.get("routing", {}), **own.get("routing", {})}
        if "prompts" in own:
            body["prompts"] = own["prompts"]
    routing = body.get("routing", {})
    alternatives = routing.get("digital_alternatives", {})
    return LobbyRules(
        routing=RoutingRules(
            authorisation_required=frozenset(routing.get("authorisation_required", [])),
            digital_alternatives={str(k): tuple(v) for k, v in alternatives.items()},
        ),
        prompts=tuple(_prompt_rule(r, where) for r in body.get("prompts", [])),
    )
