import pytest
from sqlalchemy import select

from intents.classify import Classifier
from storage import db
from storage.learning import LearningClassifier, add_example, correct_ticket, examples_after
from storage.models import LearnedExample, Ticket, TicketEvent
from storage.tickets import create_ticket

ODD = "con mèo nhà bên cứ trèo sang mái nhà tôi làm vỡ ngói"


def _ticket(text=ODD, kind="question", topic="education"):
    with db.session_scope() as s:
        t = create_ticket(s, kind=kind, text=text, actor="test", topic=topic)
        return t.code


def test_add_and_read_examples(clean_db):
    with db.session_scope() as s:
        a = add_example(s, "đèn hỏng", "complaint", "infrastructure", "cli")
        b = add_example(s, "hoà giải", None, "culture_other", "sheet")
    with db.session_scope() as s:
        rows = examples_after(s, 0)
        assert [r.id for r in rows] == [a.id, b.id]
        assert rows[1].text == "hòa giải"  # stored normalised
        assert examples_after(s, a.id)[0].id == b.id


def test_add_example_validates(clean_db):
    with db.session_scope() as s:
        with pytest.raises(ValueError):
            add_example(s, "x", "bogus", None, "cli")
        with pytest.raises(ValueError):
            add_example(s, "x", None, "weather", "cli")
        with pytest.raises(ValueError):
            add_example(s, "   ", "complaint", None, "cli")


def test_correct_ticket_updates_audits_and_learns(clean_db):
    code = _ticket()
    with db.session_scope() as s:
        t = correct_ticket(s, code.lower(), kind="complaint", topic="culture_other", actor="officer A")
        assert (t.kind, t.topic) == ("complaint", "culture_other")
    with db.session_scope() as s:
        ex = s.execute(select(LearnedExample)).scalar_one()
        assert (ex.text, ex.kind, ex.topic, ex.source) == (ODD, "complaint", "culture_other", "officer A")
        t = s.execute(select(Ticket).where(Ticket.code == code)).scalar_one()
        assert ex.ticket_id == t.id
        fields = {e.field for e in s.execute(select(TicketEvent).where(TicketEvent.ticket_id == t.id)).scalars()}
        assert {"kind", "topic"} <= fields


def test_correct_ticket_errors(clean_db):
    code = _ticket()
    with db.session_scope() as s:
        with pytest.raises(LookupError):
            correct_ticket(s, "PA-1999-9999", kind="complaint")
        with pytest.raises(ValueError):
            correct_ticket(s, code, topic="weather")
        with pytest.raises(ValueError):
            correct_ticket(s, code)
        with pytest.raises(ValueError):
            correct_ticket(s, code, kind="greeting")  # not a ticket kind


def test_learning_classifier_sees_other_processes_corrections(clean_db):
    lc = LearningClassifier(db.session_scope, Classifier())
    assert lc.classify(ODD).topic != "culture_other" or lc.classify(ODD).kind != "complaint"
    code = _ticket()
    # "Another process": a separate session writes the correction.
    with db.session_scope() as s:
        correct_ticket(s, code, kind="complaint", topic="culture_other")
    c = lc.classify(ODD)
    assert (c.kind, c.topic) == ("complaint", "culture_other")
    n = lc.example_count
    assert lc.refresh() == 0 and lc.example_count == n  # nothing new: nothing re-learned


def test_learning_classifier_survives_database_errors():
    def broken():
        raise RuntimeError("db down")

    lc = LearningClassifier(broken, Classifier())
    assert lc.classify("đèn đường hỏng").kind == "complaint"
