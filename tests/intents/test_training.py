"""Seen evaluation sets are training data; the evaluation never scores a message the
classifier was given (leave-one-set-out)."""
from intents import sets
from intents.classify import Classifier
from intents.evaluate import read_classify_set, run, run_all
from intents.training import RETIRED_SETS, seed_examples
from intents.faq import load_faq


def test_retired_sets_are_seed_examples_except_the_one_left_out():
    texts = {t for t, _k, _tp in seed_examples()}
    for name in RETIRED_SETS:
        own = {x.text for x in read_classify_set(sets.get(name).classify)}
        assert own <= texts
        rows = read_classify_set(sets.get(name).classify)
        assert len(seed_examples(name)) == len(seed_examples()) - len(rows)


def test_a_retired_set_is_scored_by_a_classifier_trained_without_it():
    _text, figs = run_all("test2")
    index = load_faq(None)
    held = run("test2", Classifier(exclude_set="test2"), index)
    trained = run("test2", Classifier(), index)
    assert figs["kind_accuracy"] == round(held["classify"]["kind_accuracy"], 4)
    # scoring it with its own examples would be near perfect: the report must not do that
    assert trained["classify"]["kind_accuracy"] > held["classify"]["kind_accuracy"]


def test_the_urgency_vote_leaves_out_the_set_being_scored_too():
    from intents.training import seed_urgency

    for name in ("test2", "test10"):
        rows = read_classify_set(sets.get(name).classify)
        assert len(seed_urgency(name)) == len(seed_urgency()) - len(rows)
    assert sum(u for _t, u in seed_urgency()) > 500  # every labelled urgent message counts
