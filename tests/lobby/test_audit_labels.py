"""Every action the code writes to the audit log has a label in each language.

The set-up page shows an entry by its label (``lobby.page.audit_<action>``, dots made
underscores) and falls back to "其他操作" for an action it has no label for; an action
written without a label is a defect (a reinstated no-show was shown as "其他操作").
"""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

import pytest

from smartcounter.i18n import Lang, messages

SOURCE = Path(str(resources.files("smartcounter")))
# Audit entries written as SQL (a migration's), action as a quoted literal.
SQL_ACTION = re.compile(r"INSERT INTO audit_log\b[^;]*?'([a-z_]+\.[a-z_]+)'", re.S)


def _strings(node: ast.expr) -> list[str]:
    """The action strings an argument can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _action_position(function: ast.FunctionDef) -> int | None:
    positional = [a.arg for a in function.args.posonlyargs + function.args.args]
    return positional.index("action") if "action" in positional else None


def written_actions() -> dict[str, str]:
    """Each action the package writes to the audit log, with a file that writes it.

    An action is the ``action`` argument of a function that takes one (``audit.record``,
    ``audit.entry_row`` and the helpers that pass theirs on, as ``add_audit``), given by
    keyword or in its place, as a literal; or a literal in SQL inserting into ``audit_log``.
    """
    trees = {
        path: ast.parse(path.read_text("utf-8"), filename=str(path))
        for path in sorted(SOURCE.rglob("*.py"))
    }
    takers: dict[str, int | None] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                a.arg == "action"
                for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            ):
                takers[node.name] = _action_position(node)
    found: dict[str, str] = {}
    for path, tree in trees.items():
        where = str(path.relative_to(SOURCE))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node) not in takers:
                continue
            arguments = [k.value for k in node.keywords if k.arg == "action"]
            position = takers[_name(node) or ""]
            if position is not None and len(node.args) > position:
                arguments.append(node.args[position])
            for argument in arguments:
                actions = _strings(argument)
                # Anything but a literal is a helper passing its own ``action`` on: an
                # action worked out otherwise would escape this test.
                forwarded = isinstance(argument, ast.Name) and argument.id == "action"
                assert actions or forwarded, f"{where}:{node.lineno}: action not a literal"
                for action in actions:
                    found.setdefault(action, where)
        for action in SQL_ACTION.findall(path.read_text("utf-8")):
            found.setdefault(action, where)
    return found


def test_the_collection_finds_the_actions_of_each_kind_of_writer() -> None:
    found = written_actions()
    # Through add_audit (positional), audit.record (keyword), a conditional, the issue
    # path's entry_row, the set-up helper, and a migration's SQL.
    assert {
        "ticket.call",
        "ticket.reinstate",
        "authorisation.approve",
        "authorisation.reject",
        "user.enable",
        "user.disable",
        "ticket.issue",
        "queue.prefix",
        "day.close",
        "user.staff_unlinked",
    } <= set(found)
    assert len(found) >= 35


@pytest.mark.parametrize("lang", list(Lang))
def test_every_action_written_has_a_label(lang: Lang) -> None:
    catalogue = messages(lang)
    missing = {
        action: where
        for action, where in sorted(written_actions().items())
        if f"lobby.page.audit_{action.replace('.', '_')}" not in catalogue
    }
    assert missing == {}, f"audit actions without a {lang.value} label: {missing}"
