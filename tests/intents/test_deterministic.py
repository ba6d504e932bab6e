"""The same message gets the same answer in every process: Python salts string hashes per
process, so anything that follows a set's order (float sums, ties among candidates) must not
decide a result. Checked by classifying and asking the FAQ under two hash seeds."""
import os
import subprocess
import sys

from intents import sets
from intents.evaluate import SPLIT_NAMES, read_classify_set, read_faq_set
from tests.support import ROOT



def _run(cmd: list[str], text: str, seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, "-m", "bot", *cmd], input=text, capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=300, check=True)
    return out.stdout


def test_answers_do_not_depend_on_the_hash_seed():
    messages = "\n".join(x.text.replace("\n", " ") for name in SPLIT_NAMES
                         for x in read_classify_set(sets.get(name).classify))
    queries = "\n".join(q.replace("\n", " ") for name in SPLIT_NAMES
                        for q, _e in read_faq_set(sets.get(name).faq))
    for cmd, text in ((["classify"], messages), (["faq", "ask"], queries)):
        first, second = _run(cmd, text, "1"), _run(cmd, text, "2")
        assert first.count("\n") >= 1000
        assert first == second, cmd
