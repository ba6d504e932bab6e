"""The conversation states table (handlers/states.py, handlers/registry.py): named states whose
stored values never change, one handler per state, and the timeout as a registered hook."""
from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from handlers import registry, states
from storage.db import session_scope
from storage.models import Conversation, Ticket, utcnow
from tests.support import ROOT

HANDLERS_DIR = ROOT / "handlers"


def test_stored_values_are_the_ones_databases_already_hold():
    # Conversations in a live database carry these strings: a renamed value strands them.
    assert states.ALL == ("idle", "intake_content", "intake_location", "intake_photo", "intake_confirm",
                          "urgent_location", "clarify_kind", "faq_wait", "faq_offer", "rating",
                          "supplement", "privacy_erase")


def test_every_state_but_idle_has_exactly_one_handler():
    assert set(registry.STATES) == set(states.ALL) - {states.IDLE}
    assert set(registry.EARLY_STATES) <= set(registry.STATES)


def _literal_states(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "set_state"
                and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
            found.append(f"{path.name}:{node.lineno} set_state({node.args[1].value!r})")
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(
                isinstance(t, ast.Attribute) and t.attr == "state" for t in node.targets):
            found.append(f"{path.name}:{node.lineno} .state = {node.value.value!r}")
        if isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Attribute) and side.attr == "state" for side in (node.left, *node.comparators)
        ) and any(isinstance(side, ast.Constant) for side in (node.left, *node.comparators)):
            found.append(f"{path.name}:{node.lineno} compares .state with a literal")
    return found


def test_handlers_name_states_instead_of_spelling_them():
    found = [hit for path in sorted(HANDLERS_DIR.glob("*.py")) if path.name != "states.py"
             for hit in _literal_states(path)]
    assert found == []


def _age_conversation() -> None:
    with session_scope() as s:
        s.execute(update(Conversation).values(updated_at=utcnow() - timedelta(hours=1)))


def _state() -> str:
    with session_scope() as s:
        return s.scalar(select(Conversation.state))


def test_timeout_ends_a_state_without_a_hook_and_keeps_nothing(bot, runtime):
    bot.say("Hỏi đáp")
    assert _state() == states.FAQ_WAIT and states.FAQ_WAIT not in registry.ON_TIMEOUT
    _age_conversation()
    assert runtime.worker.expire_stalled_conversations() == 1
    assert _state() == states.IDLE
    with session_scope() as s:
        assert s.scalar(select(Ticket.id)) is None


def test_timeout_hook_of_an_intake_state_keeps_the_draft_also_when_the_resident_writes_again(bot):
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
    assert _state() in states.INTAKE_STATES
    _age_conversation()
    bot.say("Chào ạ")  # the dispatcher expires the stalled conversation before the handlers
    with session_scope() as s:
        [draft] = s.scalars(select(Ticket)).all()
    assert draft.status == "draft" and "Đèn đường" in draft.text
