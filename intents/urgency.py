"""Urgency from how a danger is described, not only from fixed phrases (pure).

The lexicon (data/lexicon.csv, dimension "urgent") knows set phrases: "cháy nhà", "điện giật",
"đuối nước". Residents in a hurry describe what they see instead: "thằng bé rơi xuống mương",
"ông cụ ngã quỵ trước cửa không dậy được", "tủ điện đầu ngõ tóe lửa xèo xèo", "nước lên nhanh,
bà cụ ở một mình không ra được". Each rule here is a few concepts that must all occur close
together (a person + a fall + into water; an electrical object + sparks; a vehicle + overturning
+ someone trapped). Missing an emergency costs more than a false alarm (an officer reads one
more message), so the rules lean towards recall.

What turns a danger word into a non-emergency is framing: a procedure question ("thủ tục lắp
đồng hồ gas"), a past event ("năm ngoái có vụ cháy"), a proposal ("đề nghị làm gờ giảm tốc vì hay
tai nạn"). Such framing mutes the flag unless the message also says it is happening now.

Matching is on prepared text (folded, teencode expanded: intents.normalize.prepare), so it is
the same with or without diacritics. Capitals and "!!!" are read from the raw text: "CHAY O
NGO 15" is a shout of "cháy", not "chạy".
"""
from __future__ import annotations

import re
from functools import lru_cache

WINDOW = 22  # tokens: concepts of one rule must sit this close together (14 missed long
# messages: "bé Na ... chạy ra ngoài ... cả nhà tìm khắp tổ 9 một tiếng rồi không thấy"; 22 added no
# false alarm over the labelled sets)


def _alts(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(a.split()) for a in text.split("|") if a.strip())


CONCEPTS: dict[str, tuple[tuple[str, ...], ...]] = {
    # Folded Vietnamese is ambiguous: "co" is có, "bo" bỏ, "roi" rồi, "do" do/đó, "gap" gặp,
    # "khoi" khỏi, "lua" lừa, "dang" đăng (ký). Such syllables appear here only inside phrases.
    "person": _alts(
        "chi bau|ba bau|co bau|nguoi bau|co ong|co ba|co chu|co anh|co chi|co bac|co em|cu gia|hai cu|cac cu|may cu|nguoi|be|chau|tre|tre em|em be|thang be|con be|dua be|dua tre|dua nho|anh|bac|"
        "cong nhan|tho xay|tho dien|tho han|nguoi tho|anh tho|chu tho|co tho dang|mot tho|may tho|"
        "thanh nien|hoc sinh|con toi|con em|con minh|me toi|bo toi|me em|bo em|ong cu|ba cu|"
        "cu ong|cu ba|ong gia|ba gia|nguoi gia|tre nho|hang xom|chau be|em nho|nguoi di duong|"
        "nguoi di xe|tai xe|lai xe|phu nu|dan ong|chong toi|vo toi|ong ay|ba ay|cu ay|"
        "ong nha|ba nha|me chong|bo chong|ong ba|mot chi|mot anh|mot nguoi|mot ba|mot ong|mot em|"
        "mot co|mot chu|mot bac|mot chau"),
    "fall_into": _alts(
        "nga xuong|te xuong|roi xuong|lot xuong|sa xuong|rot xuong|nhao xuong|lao xuong|"
        "truot chan|truot xuong|nga vao|te vao|roi vao|lot vao|sa vao|nhay xuong|bi cuon|"
        "bi nuoc cuon|nuoc cuon|cuon troi|bi lot"),
    "water": _alts("song|ho|ao|muong|kenh|rach|cong|gieng|ho ga|be nuoc|suoi|bien|nuoc|"
                   "ho nuoc|vung nuoc|dong nuoc|ho sau|ho bom"),
    "sinking": _alts("bi chim|chim xuong|dang chim|chim nghim|khong biet boi|vung vay|"
                     "chet duoi|duoi nuoc|sac nuoc"),
    # Only a person surfacing is an emergency: "cá chết nổi lên trắng" is pollution.
    "surfacing": _alts("noi len|troi noi|noi lenh benh"),
    "collapse": _alts(
        "dap dau|nga dap dau|dang nam do|nam im do|ra mau|ra mau nhieu|bang huyet|xiu|bi xiu|xiu xuong|goi khong tinh|khong tho|nam vat|tho kho khe|kho khe|sung vu|sung mat|mat sung|nga quy|nga guc|guc xuong|guc|nam bat dong|nam im|khong tinh|ngat xiu|bi ngat|ngat di|"
        "lim di|bat tinh|dot quy|kho tho|tho doc|tim tai|hon me|khong day duoc|khong cu dong|"
        "nga ra|nga lan|len con|co giat|mat mau|non ra mau|oi ra mau|chay mau|be dau|vo dau|"
        "bi gay chan|bi gay tay|nga gay chan|nga gay tay|te gay chan|te gay tay|bi thuong|khong phan ung|sui bot mep|nga nam|nam duoi dat|nam giua duong|"
        "khong noi duoc|meo mieng|chay nhieu mau|mau chay|mau me|keo le"),
    "water_rising": _alts("nuoc vao toi|nuoc vao nha|ngap toi giuong|toi giuong|nuoc dang|nuoc len|nuoc ngap|lu|lu len|nuoc tran|tran vao|ngap|"
                          "nuoc chay xiet|nuoc xiet|nuoc lu|tran bo|tran de|vo de|vo bo"),
    "fast_or_deep": _alts("nhanh|cao|den nguc|ngang nguc|den co|ngang co|ngang bung|den bung|"
                          "qua dau|qua dau goi|sau|manh|ao ao|khong ngung|het tang|vao nha"),
    # "ket" alone is also kết (kết hôn, kết quả): only in phrases.
    "trapped": _alts("dung giua tang|dung giua 2 tang|dung giua hai tang|ket thang may|ket trong thang|bi ket|mac ket|ket lai|ket ben trong|ket trong|ket o|khong ra duoc|"
                     "dang ket|ket giua|ket cung|ket tren|ket duoi|"
                     "khong thoat ra|khong thoat ra duoc|bi nhot|bi de len|bi de trong|bi de duoi|bi de ket|de len|bi lap|o mot minh|"
                     "mot minh|khong di duoc|khong tu di duoc|khong di lai duoc|nam liet"),
    "electric": _alts("tru dien|cot dien cao the|day trung the|tu dien|day dien|o dien|cot dien|tram bien ap|cong to|dong ho dien|"
                      "bien the|o cam|cau dao|hop dien|day cap|cap dien|tram dien|may bien ap"),
    "spark": _alts("tach tach|mai ton co dien|tuong co dien|bi giat|toe lua|xet lua|bat lua|phat lua|boc khoi|xeo xeo|toa lua|khet|chay|"
                   "phat tia|tia lua|chap|chap chon|no lop dop|no lon|phat no|tieng no|"
                   "boc chay|ngon lua|lua chay|xet xet|toe"),
    "vehicle": _alts("xe|xe tai|o to|xe may|xe khach|container|xe ben|xe buyt|xe con|xe dap|"
                     "xe ba gac|xe cho hang|xe bon"),
    "crash": _alts("lat|lat nhao|tong|dam|huc|bi can|can qua|can nguoi|dam vao|va cham|dam nhau|"
                   "tong nhau|lao vao|lao xuong|nga xe|te xe|bi tong|bi dam|can phai|can len|can qua nguoi|"
                   "keo le|tong phai|dam phai|huc phai"),
    "child": _alts("be|chau|tre|tre em|em be|thang be|con be|dua be|dua tre|dua nho|con toi|"
                   "con em|con minh|chau be|em nho|tre nho|con gai|con trai|chau toi|chau em|"
                   "thang cu|chau noi|chau ngoai"),
    # "lac" alone is also lạc (peanut), lạc quan: only in phrases.
    "missing": _alts("mat tieu|di dau mat|khong biet di dau|bi lac|di lac|lac duong|lac me|lac bo|lac mat|mat tich|khong thay dau|"
                     "vua lac|lac o|lac tai|roi khong thay|van khong thay|chua thay dau|"
                     "khong thay ve|chua ve|mat lien lac|khong lien lac duoc|khong tim thay|"
                     "bien mat|tim khong thay|ai thay|bi bat coc|dan di mat|bo di|lang thang|khoc tim me|"
                     "tim me|tim bo|di mot minh|bo nha di"),
    "smoke": _alts("khoi cuon cuon|lua bung len|lua bung|bung chay|khoi phut ra|phut khoi|boc khoi|khoi den|khoi trang|khoi mu mit|khoi day|nhieu khoi|khoi boc len|khoi boc ra|"
                   "dam khoi|mui khet|khet let|ngon lua|lua boc|boc lua|lua chay"),
    "place": _alts("nha|can ho|tang|phong|bep|kho|xuong|quan|cua hang|chung cu|tap hoa|"
                   "nha so|tro|phong tro|cho|tu dien|o to|xe"),
    "armed": _alts("cam dao|vac dao|rut dao|cam kiem|vac kiem|cam ma tau|vac ma tau|dao phay|"
                   "tuyp sat|ong tuyp|cam tuyp|vac tuyp|cam bua|vac bua|cam xa beng|vung dao|vung kiem|"
                   "cam sung|no sung|ban sung|chem nguoi|dam nguoi|dam chem|vac gay|cam gay|"
                   "hung khi|dap vo chai|cam vo chai|cam gach|vac gach|tat axit|tat xang"),
    "structure": _alts("nha|tuong|tran|mai nha|gian giao|cong trinh|cau|ban cong|lan can|"
                       "cot|bien quang cao|cay|cay xanh|nha cu|tuong rao|mai ton|tran nha"),
    "falling_apart": _alts("sap|do sap|nut toac|sat lo|dang lo dat|lo dat vui|lo dat de|bat goc|roi xuong|sap xuong|"
                           "do xuong|do ra|do rap|nga do|gay do|do nghieng|nghieng han"),
    "onto": _alts("de len|de vao|de trung|de bep|de nat|bi de|de nguoi|trung nguoi|chan ngang|"
                  "vao nguoi|len nguoi|vao nha|len xe|vao xe|trung xe|len mai|sap vao"),
    "gas": _alts("bep ga|xi ga|ro ga|mui ga|van ga|gas|khi gas|binh gas|khi ga|binh ga|ong gas|day gas|khi dot|binh khi dot"),
    "leak": _alts("ro|ro ri|xi|xi ra|mui|nong nac|boc mui|thoat ra|ho van|xi xi"),
    "lift": _alts("thang may"),
    # figures of speech that borrow danger words: "chạy deadline", "cứu với deadline cháy quá",
    # "cháy túi". Unlike framing, "đang" or "cứu với" does not lift them.
    "figurative": _alts("deadline|chay tui|chet cuoi|cuoi chet|nong chay mo|muon xiu|muon xiu luon|"
                        "chet duoi trong dong|nhu chay nha|nhu phai lua"),
    # an open manhole or drain in the street, the hole itself is the danger
    "no_lid": _alts("mat nap|bi lay mat nap|khong co nap|mat nap cong|ho ga ho|ho ga mat|nap cong bi mat"),
    "lid": _alts("nap cong|nap ho ga|nap ga|nap muong"),
    "gone": _alts("sut mat|bi sut|sut xuong|can vo|bi vo|vo nat|lo hong|toang hoac|bi mat|mat roi|bi lay|bi lay mat|khong con|bi trom"),
    "alone": _alts("song 1 minh|o 1 minh|1 minh|song mot minh|o mot minh|mot minh|neo don|khong co ai o nha"),
    "no_answer": _alts("khong thua|goi khong thua|khong ai thua|im re|im ang|khong thay ra|khong bat may|khong nghe may|do chuong|khong thay tra loi|khong ai tra loi|khong tra loi|khong mo cua|"
                       "goi cua khong|khong thay ra|khong thay mo cua|nghe mui la|mui hoi thoi"),
    "suicide": _alts("nhay cau|nhay lau|treo co|uong thuoc sau|tu tu|muon chet|"
                     "khong muon song|dinh nhay|ngoi tren lan can|uong thuoc tu tu|cat tay|"
                     "treo len noc cau|treo len thanh cau|treo qua lan can|dung tren thanh cau"),
    "now": _alts("dang|bay gio|ngay bay gio|luc nay|vua|vua moi|vua xong|cuu voi|cuu cuu|cuu toi|"
                 "cuu em|cuu nguoi|keu cuu|rat gap|tu hom qua|tu dem qua|tu sang|tu chieu|den gio|van chua|"
                 "tu toi qua|tu chieu qua|tu sang qua|tu trua|toi gio van|toi gio chua|tu sang toi gio|tu trua toi gio|tu chieu toi gio|can gap|gap lam|gap qua|gap gap|nhanh len|"
                 "nhanh nhanh|khan cap|toi ngay|den ngay|giup voi|mau len|ngay lap tuc|"
                 "can nguoi biet so cuu|can nguoi so cuu|so cuu gap|ai biet so cuu|ai lam so cuu|goi giup|goi cap cuu giup"),
    # Asking what aid a disaster gives ("nhà bị sập do bão thì được hỗ trợ gì không?"): framing,
    # and a question about it is framed even when the story says when ("Nhà tôi vừa qua bị lũ
    # quét ... có được hỗ trợ hay không?", "Trường hợp khẩn cấp ... mức hỗ trợ là bao nhiêu?").
    "aid": _alts("duoc ho tro|duoc boi thuong|duoc mien|duoc huong|duoc tro cap|muc ho tro|che do ho tro"),
    "framing": _alts(
        "thu tuc|dang ky|lap dat|lap|huong dan|cach|lam sao de|quy dinh|tap huan|dien tap|"
        "phong chong|phong ngua|bao hiem|boi thuong|hom truoc|tuan truoc|thang truoc|hom qua|"
        "nam ngoai|nam truoc|da lau|truoc day|de nghi|kien nghi|de xuat|xin hoi|cho hoi|"
        "muon hoi|hoi ve|co can|can giay to|ho so|giay to|mat bao lau|bao nhieu tien|"
        "le phi|sua chua|bao duong|kiem tra dinh ky|hay xay ra|thuong xuyen|nhieu lan|"
        "lan sau|de tranh|nham tranh|de phong|nguy co|neu|khi nao|nhu the nao|so cuu|ky nang|"
        # habitual or potential, not happening now: "mỗi khi mưa là ngập", "dễ sa xuống"
        "moi khi|moi lan|lan nao cung|toi nao cung|moi toi|hang ngay|ngay nao cung|cu mua|"
        "he mua|mua to la|mua la|de sa|de nga|de te|de bi|de xay ra|may lan|bao lan|lan roi|"
        "thang nao cung|nam nao cung|tuan nao cung|chieu nao cung|sang nao cung|dem nao cung|"
        "cu chieu|cu toi|cu sang|cu dem|gio to la|gio manh la|gio lon la|bao ve la|"
        # a threat, not the act: "dọa tạt axit" ("đang" still makes it now)
        "doa tat|de doa|doa se|"
        "dem nao|toi nao|sang nao|chieu nao|ngay nao|nam nao|thang nao|tuan nao|hom nao|"
        "mong phuong|xin phuong|kinh mong|mong uy ban|de nghi phuong|mong cong an|mong cac|"
        # a worry about some day: "lo có ngày chập cháy"
        "co ngay|lo co ngay|keo co ngay|so co ngay|"
        # over: "tối qua có đánh nhau ... giờ yên rồi"
        "toi qua|dem qua|chieu qua|sang qua|hom kia|gio yen roi|da yen|da dap tat|da xu ly xong|"
        # asking for the number, not calling it: "số cứu hỏa là 114 hay 113"
        "so goi|goi so nao|goi so may|so dien thoai|so nao|la so"),
}
# "dang" before these is đăng (đăng ký, đăng tin), not đang (now).
_NOT_NOW_AFTER_DANG = frozenset({"ky", "ki", "tin", "bai", "kiem"})

# A rule fires when every concept in it occurs within WINDOW tokens of the first one found
# (TIGHT for the rules whose words are common alone: "cong" is cống but also công trình).
TIGHT = {("fall_into", "water"): 3}
RULES: tuple[tuple[str, ...], ...] = (
    ("fall_into", "water"),
    ("person", "sinking"),
    ("person", "surfacing"),
    ("water", "sinking"),
    ("person", "collapse"),
    ("water_rising", "trapped"),
    ("water_rising", "fast_or_deep", "person"),
    ("electric", "spark"),
    ("vehicle", "crash", "trapped"),
    ("vehicle", "crash", "collapse"),
    ("vehicle", "crash", "person"),
    ("lift", "trapped"),
    ("no_lid",),
    ("lid", "gone"),
    ("person", "alone", "no_answer"),
    ("alone", "no_answer"),
    ("child", "missing"),
    ("smoke", "place"),
    ("armed",),
    ("structure", "falling_apart", "onto"),
    ("structure", "falling_apart", "person"),
    ("gas", "leak"),
    ("suicide",),
)
_RULE_NEEDS = tuple((rule, frozenset(rule)) for rule in RULES)

# The field an emergency is routed to when the rule that recognised it says more than the
# words do: a sparking pole goes to the electricity side, a collapsed person to health.
RULE_TOPICS: dict[str, str] = {
    "fall_into+water": "health", "person+sinking": "health", "water+sinking": "health",
    "person+surfacing": "health", "person+collapse": "health",
    "water_rising+trapped": "infrastructure", "water_rising+fast_or_deep+person": "infrastructure",
    "electric+spark": "utilities", "gas+leak": "utilities",
    "vehicle+crash+trapped": "infrastructure", "vehicle+crash+collapse": "infrastructure",
    "vehicle+crash+person": "infrastructure", "lift+trapped": "infrastructure",
    "person+alone+no_answer": "social_welfare", "alone+no_answer": "social_welfare",
    "child+missing": "security", "smoke+place": "security", "armed": "security",
    "structure+falling_apart+onto": "land_construction",
    "structure+falling_apart+person": "land_construction", "suicide": "health",
}

# Strong enough to stand against procedure or past framing on their own.
# (person/water + sinking used to be here too, but "đề xuất dạy bơi, năm nào cũng có em bị đuối
# nước" is a proposal.)
STRONG = frozenset({("suicide",)})

_SHOUT_FIRE = frozenset({"chay"})


# Folded "chay" is cháy (burn), chạy (run) or chảy (flow). Where the resident typed the marks,
# `sense_tokens` renames the word by its sense, and only concepts that can mean running or
# flowing ("chảy máu", "nước chảy xiết") list those senses: "chó chạy ra đường", "đồng hồ điện
# chạy sai số", "chảy máu chân" no longer count as sparks or fire.
SENSES = {"chạy": "chay~run", "chảy": "chay~flow"}
FIRE_CONCEPTS = frozenset({"spark", "smoke"})


def sense_tokens(tokens: list[str], marks: list[str | None] | None) -> list[str]:
    """`tokens` with the words whose typed marks tell their sense renamed (see SENSES)."""
    if not marks:
        return tokens
    out = None
    for i, mark in enumerate(marks):
        sense = SENSES.get(mark) if mark is not None else None
        if sense is not None:
            if out is None:
                out = list(tokens)
            out[i] = sense
    return out or tokens


def _with_senses(name: str, alt: tuple[str, ...]) -> list[tuple[str, ...]]:
    """An alternative, and unless its concept means fire, the same with each typed sense."""
    variants = [alt]
    if name not in FIRE_CONCEPTS:
        for sense in SENSES.values():
            folded = sense.split("~")[0]
            if folded in alt:
                variants.append(tuple(sense if w == folded else w for w in alt))
    return variants


@lru_cache(maxsize=1)
def _index() -> tuple[dict[tuple[str, ...], tuple[str, ...]], frozenset[tuple[str, ...]]]:
    """Every alternative -> the concepts it belongs to; and every proper prefix of an
    alternative (matching extends word by word while some alternative continues)."""
    table: dict[tuple[str, ...], list[str]] = {}
    for name, alts in CONCEPTS.items():
        for alt in alts:
            for variant in _with_senses(name, alt):
                if name not in table.setdefault(variant, []):
                    table[variant].append(name)
    prefixes = frozenset(alt[:k] for alt in table for k in range(1, len(alt)))
    return {k: tuple(v) for k, v in table.items()}, prefixes


def concept_positions(tokens: list[str]) -> dict[str, list[int]]:
    """Token positions where each concept occurs (by any of its alternatives), the longest
    alternative first at each position. This runs on every message (bench-nlu)."""
    table, prefixes = _index()
    found: dict[str, list[int]] = {}
    n = len(tokens)
    for i in range(n):
        key: tuple[str, ...] = (tokens[i],)
        matches = []
        while True:
            names = table.get(key)
            if names:
                matches.append((len(key), names))
            if i + len(key) >= n or key not in prefixes:
                break
            key = key + (tokens[i + len(key)],)
        if not matches:
            continue
        seen_here: set[str] = set()
        for length, names in reversed(matches):
            for name in names:
                if name in seen_here:
                    continue
                if (name == "now" and length == 1 and tokens[i] == "dang"
                        and i + 1 < n and tokens[i + 1] in _NOT_NOW_AFTER_DANG):
                    continue
                seen_here.add(name)
                found.setdefault(name, []).append(i)
    return found


def _within(positions: dict[str, list[int]], rule: tuple[str, ...]) -> bool:
    """Every concept of the rule occurs, close to some occurrence of the first one."""
    if any(c not in positions for c in rule):
        return False
    if len(rule) == 1:
        return True
    window = TIGHT.get(rule, WINDOW)
    # Some anchor position of the first concept has every other concept close by.
    for anchor in positions[rule[0]]:
        if all(any(abs(p - anchor) <= window for p in positions[c]) for c in rule[1:]):
            return True
    return False


_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def is_shouting(raw: str) -> bool:
    """Mostly capitals (at least 6 letters), or a run of exclamation marks."""
    if "!!" in raw:
        return True
    letters = _LETTERS.findall(raw)
    return len(letters) >= 6 and sum(1 for c in letters if c.isupper()) / len(letters) >= 0.7


def assess(tokens: list[str], raw: str = "",
           marks: list[str | None] | None = None) -> tuple[bool, bool, str | None]:
    """(urgent by description, framed as procedure/past/proposal, the rule that fired).

    `tokens` are prepared tokens; `raw` the message as typed (for capitals); `marks` the words
    as typed beside them (intents.normalize.marked_tokens), which tell some words' senses."""
    tokens = sense_tokens(tokens, marks)
    positions = concept_positions(tokens)
    framed = (("framing" in positions or "aid" in positions) and "now" not in positions) or "figurative" in positions
    hit = None
    present = set(positions)
    for rule, needs in _RULE_NEEDS if positions else ():
        if needs <= present and _within(positions, rule):
            hit = "+".join(rule)
            if rule in STRONG:
                return True, framed, hit
            break
    if hit is None and raw and not _SHOUT_FIRE.isdisjoint(tokens) and is_shouting(raw):
        hit = "shouted fire"
    if hit is None and "aid" in positions and "?" in tokens:
        # a question about aid: its danger words tell what happened, not an emergency now (a
        # danger the rules describe still is one)
        framed = True
    return (hit is not None and not framed), framed, hit
