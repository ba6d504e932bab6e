"""The naive Bayes topic vote: word statistics over every example name a topic when no single
example is close enough for the nearest-example vote."""
import pytest

import intents.classify as classify_mod
from intents.bayes import TopicBayes
from intents.classify import Classifier
from intents.lexicon import Lexicon
from intents.neighbours import features
from intents.normalize import prepare


def feats(text):
    return features(prepare(text).split())


def test_posterior_follows_word_statistics_and_learns_at_once():
    nb = TopicBayes()
    nb.add(feats("xà bần đổ đầy bãi đất trống"), "environment")
    nb.add(feats("rác thải đổ trộm cạnh chợ"), "environment")
    nb.add(feats("cột điện nghiêng sắp đổ"), "utilities")
    post = nb.posterior(feats("bãi trống bị đổ trộm xà bần"))
    assert max(post, key=post.get) == "environment"
    assert abs(sum(post.values()) - 1.0) < 1e-9
    assert nb.posterior(feats("hoàn toàn chưa gặp")) == {}
    nb.add(feats("hoàn toàn chưa gặp"), "culture_other")
    assert nb.posterior(feats("hoàn toàn chưa gặp")) == {"environment": pytest.approx(0, abs=0.2),
                                                          "utilities": pytest.approx(0, abs=0.2),
                                                          "culture_other": pytest.approx(1, abs=0.3)}


EXAMPLES = [
    ("xà bần đổ đầy bãi đất trống tổ 3", "complaint", "environment"),
    ("có người đổ trộm rác ban đêm", "complaint", "environment"),
    ("bãi rác tự phát bốc mùi", "complaint", "environment"),
    ("đèn đường ngõ 5 không sáng", "complaint", "infrastructure"),
    ("ổ gà giữa đường rất sâu", "complaint", "infrastructure"),
]


def test_the_bayes_vote_names_a_topic_the_nearest_examples_do_not(monkeypatch):
    # A lexicon with one kind cue and no topic words: the topic can only come from the
    # examples. The message shares single words with several environment examples; the
    # nearest-example vote is switched off to show what a message far from every example gets.
    lexicon = Lexicon({prepare("phản ánh"): (("kind", "complaint", 3.0),)})
    message = "phản ánh bãi trống đầu ngõ bị đổ trộm xà bần bốc mùi"
    clf = Classifier(EXAMPLES, lexicon=lexicon, use_seed=False)
    monkeypatch.setattr(classify_mod, "KNN_MIN_SIM", 1.01)
    result = clf.classify(message)
    assert (result.kind, result.topic) == ("complaint", "environment")
    monkeypatch.setattr(classify_mod, "NB_TOPIC_WEIGHT", 0.0)
    assert clf.classify(message).topic == "culture_other"  # the "no topic recognised" default
