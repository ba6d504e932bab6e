"""The FAQ's paraphrase bank: more ways residents asked an entry make it answerable, questions
that were asked and must be declined (decoys) keep the bot from answering what sits near an
entry, and the file officers edit is never changed by it."""

from intents.faq import FaqEntry, FaqIndex, load_faq, read_csv, default_faq_path
from intents import sets
from intents.training import RETIRED_SETS, faq_bank

DEATH = FaqEntry("Đăng ký khai tử cho người thân mới mất làm thế nào?",
                 "Người thân nộp tờ khai và giấy báo tử tại UBND phường trong 15 ngày.",
                 ("thủ tục khai tử",), "Nguồn: Luật Hộ tịch 2014", "admin_procedures")
LICENCE = FaqEntry("Đổi giấy phép lái xe ở đâu?", "Nộp trên Cổng dịch vụ công của Bộ Công an.",
                   ("đổi bằng lái xe",), "Nguồn: Bộ Công an", "admin_procedures")


def test_a_paraphrase_makes_an_entry_answer_a_query_it_did_not_cover():
    query = "ông nhà mới mất hôm qua, con cháu phải làm giấy tờ gì với phường"
    plain = FaqIndex([DEATH, LICENCE])
    assert plain.ask(query) is None  # too much of the query is unknown to the entry alone
    banked = FaqIndex([DEATH, LICENCE], paraphrases=[
        ("người nhà mới mất hôm qua thì con cháu phải làm giấy tờ gì", DEATH.question)])
    m = banked.ask(query)
    assert m is not None and m.question == DEATH.question


def test_a_decoy_declines_a_query_that_would_clear_the_threshold():
    query = "muốn đổi bằng lái xe máy sang ô tô thì học ở đâu"
    plain = FaqIndex([DEATH, LICENCE])
    assert plain.ask(query) is not None and plain.ask(query).question == LICENCE.question
    banked = FaqIndex([DEATH, LICENCE], declines=["đổi bằng lái xe máy sang ô tô học ở trung tâm nào"])
    assert banked.ask(query) is None
    # best() still reports the nearest entry (evaluation shows what was declined)
    assert banked.best(query).question == LICENCE.question
    # and the real entry keeps answering its own questions
    assert banked.ask("đổi bằng lái xe ở đâu").question == LICENCE.question


def test_paraphrases_of_a_question_the_officers_renamed_are_dropped():
    renamed = FaqEntry("Làm giấy khai tử ở đâu?", DEATH.answer, (), DEATH.source, DEATH.topic)
    idx = FaqIndex([renamed], paraphrases=[("bố tôi mới mất cần làm gì", DEATH.question)])
    assert idx.paraphrase_count == 0


def test_the_bank_never_changes_the_entries_officers_export(tmp_path):
    shipped = read_csv(default_faq_path())
    idx = load_faq(None)
    assert idx.paraphrase_count > 100 and idx.decline_count > 50
    assert list(idx.entries) == shipped
    out = tmp_path / "faq.csv"
    idx.to_csv(out)
    assert read_csv(out) == shipped


def test_the_bank_leaves_out_the_set_being_scored():
    for name in RETIRED_SETS:
        pairs, declines = faq_bank(name)
        all_pairs, all_declines = faq_bank()
        assert len(pairs) < len(all_pairs) or len(declines) < len(all_declines)
    own = {q for q, _e in faq_bank()[0]} - {q for q, _e in faq_bank("test2")[0]}
    assert own and not own & {q for q, _e in faq_bank("test2")[0]}


def test_without_the_bank_the_shipped_kb_declines_more_real_paraphrases():
    """The figure the bank is for: TEST6 answered with and without the other sets' paraphrases
    (leave-one-set-out, so TEST6's own queries are never in the bank)."""
    from intents.evaluate import faq_metrics, read_faq_set

    data = read_faq_set(sets.get("test6").faq)
    without = faq_metrics(load_faq(None, bank=False), data)
    with_bank = faq_metrics(load_faq(None, exclude_set="test6"), data)
    assert with_bank["faq_top1"] > without["faq_top1"] + 0.1
    assert with_bank["oos_declined"] >= without["oos_declined"]


def test_a_short_query_contained_in_a_long_paraphrase_is_not_scored_as_identical():
    from intents.faq import _token_mix

    long_key = "buon ban tu do muon dong bao hiem xa hoi tu nguyen thi dang ki o dau"
    # every word of the query occurs in the key: token-set alone calls that a perfect match
    assert _token_mix("o dau ban tu do", long_key) < 75
    # the same words in another order still are one
    assert _token_mix("dang ki o dau bao hiem xa hoi tu nguyen", "bao hiem xa hoi tu nguyen dang ki o dau") >= 95


def test_pruning_never_changes_an_answer():
    """ask() scores only the keys that could still win; its answers must be those of the full
    scoring over every labelled query the project has."""
    from intents.evaluate import SPLIT_NAMES, read_faq_set

    idx = load_faq(None)
    queries = [q for name in SPLIT_NAMES for q, _e in read_faq_set(sets.get(name).faq)]
    assert len(queries) > 500
    for q in queries:
        full = idx._scores(q)
        real = {n: s for n, s in full.items() if n != -1}
        if not real:
            expected = None
        else:
            n = max(real, key=real.get)
            ok = real[n] >= idx.threshold and full.get(-1, -1.0) < real[n]
            expected = idx.entries[n].question if ok else None
        got = idx.ask(q)
        assert (got.question if got else None) == expected, q


def test_every_uncovered_subject_word_costs():
    """A query that shares an entry's nouns but asks about something else ("thuế trước bạ")
    scores far below a real paraphrase; under the old step (halve below 25% covered) it
    scored 0.67, above the threshold, without help from a decoy."""
    idx = load_faq(None, bank=False)
    near_miss = idx.best("thuế trước bạ khi sang tên nhà đất tính bao nhiêu phần trăm")
    real = idx.best("sang tên nhà đất làm ở đâu")
    assert near_miss.question == real.question == "Làm sổ đỏ, sang tên đất đai ở đâu?"
    assert real.score > 0.8
    assert near_miss.score < 0.55


DISABILITY = FaqEntry("Người khuyết tật được hỗ trợ gì, đăng ký ở đâu?",
                      "Trợ cấp xã hội hằng tháng; hồ sơ nộp tại UBND phường.",
                      (), "Nguồn: Nghị định 20/2021/NĐ-CP", "social_welfare")


def test_a_residents_story_in_a_paraphrase_does_not_attract_other_stories():
    story = ("chồng tôi bị tai nạn cụt một chân, cả nhà trông vào tôi bán rau ngoài chợ, "
             "người khuyết tật được hỗ trợ gì")
    banked = FaqIndex([DISABILITY, DEATH, LICENCE], paraphrases=[
        (story, DISABILITY.question),
        ("con tôi bị bại não bẩm sinh thì người khuyết tật được hỗ trợ những gì", DISABILITY.question),
        ("bố tôi bị liệt nửa người, có được hưởng chế độ người khuyết tật không", DISABILITY.question),
    ])
    # the story's own words ("bán rau ngoài chợ") are not what the entry is about
    assert banked.ask("ai bán rau sạch ngoài chợ không") is None
    # what the paraphrases share with the entry still answers
    m = banked.ask("con tôi bại não thì được hỗ trợ gì")
    assert m is not None and m.question == DISABILITY.question
