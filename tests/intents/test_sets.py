"""intents/data/sets.toml is the one list of labelled sets: every labelled file is in it once,
and nothing held out is ever learned from."""
from intents import sets
from intents.evaluate import HELD_OUT, SPLIT_NAMES
from intents.normalize import DATA_DIR
from intents.training import RETIRED_SETS

# Not labelled sets: the knowledge base, the lexicon and the teencode table.
RESOURCES = {"faq.csv", "lexicon.csv", "teencode.csv"}


def test_every_labelled_file_is_listed_once_and_exists():
    listed = [p for s in sets.manifest() for p in s.files()]
    assert len(listed) == len(set(listed))
    assert all(p.is_file() for p in listed)
    on_disk = {p for p in DATA_DIR.rglob("*.csv") if p.relative_to(DATA_DIR).as_posix() not in RESOURCES}
    assert on_disk == set(listed)


def test_folders_follow_roles():
    folder = {"seed": "seed", "training": "training", "heldout": "heldout",
              "real_dev": "real", "real_heldout": "real"}
    for s in sets.manifest():
        assert all(p.parent.name == folder[s.role] for p in s.files()), s.name


def test_nothing_held_out_is_learned_from():
    learned = set(sets.learning_files("classify")) | set(sets.learning_files("faq"))
    for s in sets.manifest():
        if s.role in ("heldout", "real_dev", "real_heldout"):
            assert not learned & set(s.files()), s.name
    assert sets.learning_files("classify")[0] == sets.get("examples").classify


def test_leaving_a_set_out_drops_only_its_files():
    full, without = sets.learning_files("classify"), sets.learning_files("classify", "test5")
    assert set(full) - set(without) == {sets.get("test5").classify}


def test_evaluation_scores_the_held_out_sets_newest_first_then_the_retired_ones():
    assert HELD_OUT[0] == "test21" and set(HELD_OUT) == {"test11", "test21"}
    assert SPLIT_NAMES == HELD_OUT + tuple(reversed(RETIRED_SETS))
    for name in SPLIT_NAMES:
        s = sets.get(name)
        assert s.classify and s.faq and s.writer and s.date
    # every set written blind since TEST4 has its first run recorded
    assert all(sets.get(n).first_run for n in SPLIT_NAMES if sets.get(n).writer == "blind writer")
