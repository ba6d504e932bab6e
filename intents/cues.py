"""What a message's words say about its kind, apart from any lexicon weight: an opener, a
petition, a delay, asking to ask, asking what one is entitled to, a question about the complaint
procedure, a later sentence that proposes, foreign words (pure functions over prepared tokens,
intents.normalize). intents.classify weighs what they find.
"""
from __future__ import annotations

import re

from intents.normalize import _SYLLABLE, marked_tokens

_TIME_UNITS = frozenset("ngay tuan thang nam bua hom tieng".split())
_SOME = frozenset("may ca hon gan vai nhieu mot hai ba bon sau muoi".split())
SALUTATION_MAX = 12  # words an opening "Kính gửi ..." may take before the message starts
_SALUTATIONS = (["kinh", "gui"], ["kinh", "thua"], ["gui"])
_ADDRESSEE_WORDS = frozenset(
    "ban mat tran to quoc phuong uy nhan dan ubnd lanh dao cac anh chi can bo va thuong truc "
    "admin doan the khu pho chinh quyen".split())

# Openers (real text, intents/data/real/, intents/README.md).
# A message made only of greeting words, address words and particles is an opener or a
# thanks, in any of the languages residents mix in ("alo", "hello", "merci", "bạn ơi",
# "em ơi, cho anh hỏi", "có ai ở đây không?"): the bot greets back and waits for the matter.
_OPENER_CORE = frozenset(
    "chao xin hello helo hi hey halo hola ciao alo lo yo watsup sup morning evening afternoon "
    "cam camon thanks thank thanks thx tks merci oi ei ne hu hoi ai "
    # closings are openers too: the chat ends as it began (real text batch 2 had none of them)
    "bye bai baibai goodbye he".split())
# Closings and wishes of two words, read as one greeting word: "tạm biệt", "see you",
# "hẹn gặp lại", "chúc ngủ ngon", "chúc bạn nhiều niềm vui", "hế lô" ("see" arrives as "se").
_OPENER_PAIRS = frozenset({("tam", "biet"), ("se", "you"), ("hen", "gap"), ("good", "night"),
                           ("ngu", "ngon"), ("niem", "vui"), ("nice", "day"), ("he", "lo"),
                           ("he", "lu")})
_OPENER_WORDS = _OPENER_CORE | frozenset(
    "em anh chi ban bot ad admin shop bac chu co cau ac may minh toi t tui e a ah nhe nha nhieu "
    "lam rat so much u you beaucoup again folks guys there the re good buoi sang trua chieu gi day do o "
    "khong ko k co giup voi cho chut xiu ti nay vay ha nho on da vang ok oke ?"
    " lai sau later have chuc vui ve chau".split())
_ADDRESS = frozenset("em anh chi ban bot ad admin shop".split())  # "ê" arrives as "em"
_VOCATIVE_MARKED = frozenset({"à", "này", "nè", "ê"})  # "bạn à", "này": only as typed
_VOCATIVE_PLAIN = frozenset({"a", "nay"})
_ANSWER_WORDS = frozenset({"khong", "ko", "k", "co", "vang", "da", "ok", "oke"})
_TELEX_TAIL = "fsrxj"  # "xin chaof": the tone key typed after an unconverted syllable
OPENER_MAX = 7
# Voters' petitions name who asks: "Cử tri (xã X, nhiều quận...) kiến nghị/đề nghị ...".
# Once the request is a petition, what it is about (flooding, broken roads) does not make it
# a report (dev set: petitions read as suggestion 60% -> see intents/README.md).
_PETITION_SUBJECTS = (("cu", "tri"), ("nhieu", "y", "kien"), ("y", "kien", "cu", "tri"))
_PETITION_VERBS = frozenset({("kien", "nghi"), ("de", "nghi"), ("de", "xuat"), ("mong", "muon"),
                             ("yeu", "cau"), ("mong", "cac"), ("kinh", "de")})
PETITION_GAP = 30  # words between "cử tri ..." and its verb (place names, what they saw)
# The request sentence of a long message: a sentence after the first that opens on a request
# verb ("... chưa có hướng dẫn cụ thể. Đề nghị các bộ, ngành sớm ban hành ...") is what the
# message asks for, whatever the story before it (the opening sentence has intents.lexicon.LEAD_CUE_BONUS).
_REQUEST_SENTENCE = re.compile(
    r"[.;:!?\n]\s*(?:vi vay,? |do do,? |kinh |xin |cung )?(?:de nghi|kien nghi|de xuat|mong muon)\b")
_SENTENCE_END = re.compile(r"[.;!?\n]")
_FIX = re.compile(r"\b(?:sua|xu ly|khac phuc|don dep|don|can thiep|kiem tra|thay moi|giai quyet|chan chinh|nhac nho)\b")
_ASKERS = frozenset("toi em minh chau e t bac con tui anh chi".split())
_ENTITLED = re.compile(r"\b(?:co )?duoc\b(?: \S+){0,10} (?:hay khong|khong|gi khong|bao nhieu)(?: \?)?$")
# A question about the khiếu nại / tố cáo procedure ("thời hạn giải quyết tố cáo?", "gửi đơn
# khiếu nại ở đâu?") is a question; only a grievance is redirected.
_GRIEVANCE_WORDS = (("khieu", "nai"), ("to", "cao"))
_PROCEDURE_WORDS = frozenset(
    "thu_tuc thoi_han le_phi ho_so dieu_kien thu_ly mau_don quy_trinh doi_thoai gia_han "
    "cong_khai bi_mat nham_noi o_dau bao_lau the_nao la_gi can_gi lam_sao nop_don gui_don "
    "giai_quyet".split())


def salutation_end(toks: list[str]) -> int:
    """Where a message opening "Kính gửi Ban MTTQ phường và tổ dân phố 4, ..." starts saying
    something: after the address (its words and numbers), at most SALUTATION_MAX words."""
    for opening in _SALUTATIONS:
        if toks[:len(opening)] == opening:
            k = len(opening)
            limit = min(len(toks), k + SALUTATION_MAX)
            while k < limit and (toks[k] in _ADDRESSEE_WORDS or toks[k].isdigit()):
                k += 1
            return k if k < len(toks) else 0
    return 0


def waited_in_vain(toks: list[str]) -> bool:
    """Time gone by and still nothing: "nộp 2 tuần rồi sao chưa duyệt", "từ Tết tới giờ vẫn
    chưa", "3 bữa nay chưa ai dọn". A delay is a complaint, even asked as a question."""
    if "chua" not in toks:
        return False
    n = len(toks)
    for i, t in enumerate(toks):
        if t in _TIME_UNITS and i > 0 and (toks[i - 1].isdigit() or toks[i - 1] in _SOME):
            if i + 1 < n and toks[i + 1] in ("roi", "nay", "qua"):
                return True
        elif t in ("gio", "nay") and i > 0 and toks[i - 1] in ("toi", "den") and "tu" in toks[max(0, i - 8):i]:
            return True
    return False


def is_opener(toks: list[str], marks: list[str | None]) -> bool:
    """Only greeting words, address words and particles ("alo", "em ơi, cho anh hỏi",
    "Hi bot", "cảm ơn nhiều nhé", "xin chaof", "bạn à", "ê"), with at least one greeting word or
    vocative; a lone address word is a call too."""
    if not toks or len(toks) > OPENER_MAX:
        return False
    if len(toks) == 1 and toks[0] in _ADDRESS:
        return True
    paired = {i + j for i, pair in enumerate(zip(toks, toks[1:])) if pair in _OPENER_PAIRS for j in (0, 1)}
    core = bool(paired)
    for i, (t, m) in enumerate(zip(toks, marks)):
        if i in paired:
            continue
        if t not in _OPENER_WORDS:
            if t[-1:] in _TELEX_TAIL and t[:-1] in _OPENER_CORE:
                t = t[:-1]
            else:
                return False
        core = core or t in _OPENER_CORE or m in _VOCATIVE_MARKED
    if not core and not any(marks) and toks != ["a"] and not _ANSWER_WORDS.intersection(toks):
        # typed without marks, "ban a", "em nay" are the same call ("bạn à", "em này"); a lone
        # "a" may be "à", "ạ" or "aaaa"
        core = any(t in _VOCATIVE_PLAIN for t in toks)
    return core


# Courtesy that frames a message: "Kính chào quý cơ quan. ..." or "... Tôi xin chân thành cảm ơn!"
# (real text dev: a formal request closing on thanks was read as a thanks). A first or last
# sentence of nothing but greeting, thanks and courtesy words is the frame; what the rest says
# decides the kind. A message that is mostly courtesy ("Cảm ơn phường đã sửa đèn. Chúc ...")
# keeps its thanks: the rest must say something.
_COURTESY_WORDS = _OPENER_WORDS | frozenset("chan thanh tran trong kinh quy co quan xin chung".split())
COURTESY_MAX = 10  # words of a courtesy sentence
COURTESY_REST_MIN = 6  # words the rest of the message must have
_SENTENCE_SPLIT = re.compile(r"[.;!?\n]+")


def _courtesy_tokens(sentence: str) -> list[str] | None:
    toks, marks = marked_tokens(sentence)
    if not toks or len(toks) > COURTESY_MAX:
        return None
    if is_opener(toks, marks) or (set(toks) <= _COURTESY_WORDS and not _OPENER_CORE.isdisjoint(toks)):
        return toks
    return None


def courtesy_frame(text: str, toks: list[str]) -> tuple[int, int]:
    """How many of `toks` (the whole message's) open and close it in sentences of courtesy only,
    (0, 0) when the rest would be too short to say anything else."""
    sentences = [s for s in _SENTENCE_SPLIT.split(text) if s.strip()]
    if len(sentences) < 2:
        return 0, 0
    first, last = _courtesy_tokens(sentences[0]), _courtesy_tokens(sentences[-1])
    head = len(first) if first and toks[:len(first)] == first else 0
    tail = len(last) if last and toks[-len(last):] == last else 0
    if len(toks) - head - tail < COURTESY_REST_MIN:
        return 0, 0
    return head, tail


def petition_cue(toks: list[str]) -> bool:
    """"Cử tri ... kiến nghị/đề nghị/đề xuất/mong muốn ...", or a message that opens on
    "Kiến nghị ..." / "Kính đề nghị ...": a petition."""
    n = len(toks)
    start = salutation_end(toks)
    if tuple(toks[start:start + 2]) == ("kien", "nghi") or tuple(toks[start:start + 3]) == ("kinh", "de", "nghi"):
        return True
    if "tri" not in toks and "kien" not in toks:  # every subject has one of them
        return False
    for i in range(n - 1):
        for subject in _PETITION_SUBJECTS:
            k = len(subject)
            if tuple(toks[i:i + k]) == subject:
                for j in range(i + k, min(n - 1, i + k + PETITION_GAP)):
                    if (toks[j], toks[j + 1]) in _PETITION_VERBS:
                        return True
    return False


def proposes(folded: str) -> bool:
    """A later sentence opens on a request verb and proposes something ("... chưa có hướng dẫn.
    Đề nghị các bộ sớm ban hành hướng dẫn"); asking to fix what the message reports ("... hỏng
    cả tuần nay. Đề nghị phường cho người sửa") keeps it a report (labelling guide)."""
    last = None
    for last in _REQUEST_SENTENCE.finditer(folded):
        pass
    if last is None:
        return False
    sentence = _SENTENCE_END.split(folded[last.end():], 1)[0]
    return not _FIX.search(sentence)


def asks_to_ask(toks: list[str]) -> bool:
    """"cho tôi hỏi", "xin hỏi", "muốn hỏi" anywhere: the request sentence of a long story is a
    question (in the labelled sets 140 of 147 such messages are questions, 6 are out of scope)."""
    for i in range(len(toks) - 1):
        a, b = toks[i], toks[i + 1]
        if b == "hoi" and a in ("xin", "muon"):
            return True
        if a == "cho" and b in _ASKERS and i + 2 < len(toks) and toks[i + 2] == "hoi":
            return True
    return False


def asks_if_entitled(toks: list[str]) -> bool:
    """The message closes asking whether something is allowed or granted ("... nhà bị cuốn trôi
    có được hỗ trợ hay không?", "được miễn gì không", "được bao nhiêu"): in the labelled data
    87 of 94 such messages are questions (the others: emergencies, which urgency makes reports,
    and grievances that open on "tố cáo"). Real citizens' questions tell a disaster first and
    ask this last (issue 11, real text batch 2)."""
    return bool(_ENTITLED.search(" ".join(toks[-16:])))


def foreign_share(toks: list[str]) -> float:
    """The share of words that are no Vietnamese syllable ("alcaraz", "intelligence")."""
    words = [t for t in toks if t.isalpha()]
    if not words:
        return 0.0
    return sum(1 for t in words if not _SYLLABLE.fullmatch(t)) / len(words)


def procedure_question(toks: list[str], asks: bool) -> bool:
    """A question about the khiếu nại / tố cáo procedure, not a grievance: it names one, asks
    (a question mark or a closing question phrase) and names a step of the procedure."""
    if not asks:
        return False
    pairs = list(zip(toks, toks[1:]))
    if not any(p in _GRIEVANCE_WORDS for p in pairs):
        return False
    return any(a + "_" + b in _PROCEDURE_WORDS for a, b in pairs)
