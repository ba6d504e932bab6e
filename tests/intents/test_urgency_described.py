"""Emergencies described in residents' own words (intents/urgency.py), and danger words that
are not emergencies. Phrasings here are not in the eval sets; each is also checked without
diacritics, as many residents type."""
import pytest

from intents.classify import Classifier
from intents.evaluate import strip_diacritics
from intents.normalize import prepare
from intents.urgency import assess, is_shouting


@pytest.fixture(scope="module")
def clf():
    return Classifier()


DESCRIBED = [
    ("Thằng cu nhà bên vừa lọt xuống ao sau nhà", "fall_into+water"),
    ("có đứa nhỏ té xuống kênh đầu phường, ai ra giúp với", "fall_into+water"),
    ("Bà cụ số 14 gục xuống ở chợ, gọi không thấy trả lời", "person+collapse"),
    ("ông già đầu hẻm nằm dưới đất mặt tím tái", "person+collapse"),
    ("nước dâng tới ngực rồi, nhà chú Tư còn mắc kẹt trên gác", "water_rising+trapped"),
    ("Cầu dao tổng của khu trọ đang xẹt lửa, khét lắm", "electric+spark"),
    ("Ô tô tông xe máy ở ngã ba, tài xế bị kẹt trong xe", "vehicle+crash+trapped"),
    ("Bé Na 5 tuổi đi lạc ở công viên từ chiều, cả nhà tìm không thấy", "child+missing"),
    ("Căn hộ tầng 6 khói đen mù mịt", "smoke+place"),
    ("thanh niên vác mã tấu đuổi nhau ngoài đầu ngõ", "armed"),
    ("cây xanh bật gốc đè lên xe máy đang đỗ", "structure+falling_apart+onto"),
    ("Bình gas nhà bên xì ra nghe mùi nồng nặc", "gas+leak"),
    ("có người đang ngồi trên lan can cầu định nhảy", "suicide"),
    ("Ngửi thấy mùi khí đốt nồng nặc ở cầu thang khu B", "gas+leak"),
    ("Ô tô tải cán phải một chị đi xe máy ở vòng xuyến", "vehicle+crash+person"),
    ("thang may toa nha A bi ket, co nguoi ben trong dang keu", "lift+trapped"),
    ("cu ong so 5 song mot minh, tu hom qua go cua khong thay tra loi", "person+alone+no_answer"),
    ("Nước sông vỡ bờ tràn vào xóm, có cụ bà không tự đi được", "water_rising+trapped"),
    # added after TEST4's first run, in other words than its messages
    ("ba công nhân đang kẹt trong thang máy tòa nhà số 3", "lift+trapped"),
    ("con gái tôi 6 tuổi vừa lạc ở hội chợ, tìm mãi không thấy", "child+missing"),
    ("anh thợ điện ngã từ cột xuống, nằm im không cử động", "person+collapse"),
    ("mấy đứa cầm tuýp sắt đuổi đánh nhau ở bến xe", "armed"),
    ("thấy một người nổi lên giữa hồ, mọi người ra xem giúp", "person+surfacing"),
    # added after TEST5's first run, in other words than its messages
    ("chú Sáu ở một mình, từ tối qua gõ cửa không thưa, điện thoại đổ chuông không bắt", "alone+no_answer"),
    ("xưởng gỗ cuối hẻm lửa bùng lên, khói cuồn cuộn", "smoke+place"),
    ("bác bảo vệ bị ong đốt, nằm vật ra, thở khò khè", "person+collapse"),
    ("thằng cu nhà chị Lan đi đâu mất tiêu từ trưa tới giờ", "child+missing"),
    # added after TEST7's first run, in other words than its messages
    ("trụ điện trước chợ đang xẹt lửa liên tục", "electric+spark"),
    ("bà Hai sống 1 mình ở cuối xóm, từ hôm qua gọi cửa không ai trả lời", "alone+no_answer"),
    ("mái nhà kho vừa sập xuống, bên trong còn mấy cụ già chưa ra", "structure+falling_apart+person"),
    ("con bé nhà tôi 4 tuổi chạy theo đám rước từ chiều, cả xóm đi tìm khắp các ngõ hơn một tiếng rồi "
     "vẫn không thấy", "child+missing"),
    # added after TEST8's first run, in other words than its messages
    ("đang kẹt thang máy ở chung cư, ngột ngạt lắm, gọi bảo vệ không ai nghe", "lift+trapped"),
    ("có chú bán vé số xỉu ngay trước cổng trường, gọi không tỉnh", "person+collapse"),
    ("nắp cống giữa ngã tư bị mất, hố sâu hoắm, trời tối om", "lid+gone"),
    # added after TEST9's first run, in other words than its messages
    ("thang máy nhà B dừng giữa hai tầng nửa tiếng rồi, bên trong có cụ già", "lift+trapped"),
    ("nắp hố ga đầu chợ bị xe ben cán vỡ, lỗ toang hoác", "lid+gone"),
    ("dây điện đứt vắt lên mái tôn, mái tôn có điện, nghe tách tách", "electric+spark"),
    # added after TEST10's first run, in other words than its messages
    ("bếp ga nhà trên lầu xì ga, mùi nồng nặc cả cầu thang", "gas+leak"),
    ("nắp cống trước chợ vừa bị sụt mất, hố sâu hoắm", "lid+gone"),
    ("có chị bầu ở dãy trọ đang ra máu nhiều, không có ai đưa đi viện", "person+collapse"),
    # after TEST12: asking for first aid or saying whom one called is not a procedure question
    ("có bác vừa ngã gục ở bến xe, môi tím, cần người biết sơ cứu gấp", "person+collapse"),
    ("đang kẹt thang máy ở tầng 9, gọi số kỹ thuật không ai nghe", "lift+trapped"),
    # "chạy về hướng" is running, not "cháy vé"
    ("thằng giật túi xách của bà cụ rồi chạy về hướng chợ, bà cụ ngã đập đầu đang nằm đó",
     "person+collapse"),
    # after TEST14: asking who knows first aid, or asking someone to call, is not a procedure
    ("có ông cụ ngã gục ở bến xe buýt, không tỉnh, ai biết sơ cứu ra giúp", "person+collapse"),
    ("có bà cụ ngất xỉu giữa chợ, ai có số cấp cứu gọi giúp với", "person+collapse"),
    # climbing a bridge was caught only by the word statistics, until more data moved it under
    ("có người trèo lên nóc cầu Rồng đứng mãi không chịu xuống", "suicide"),
]


@pytest.mark.parametrize("text,rule", DESCRIBED)
def test_described_danger_is_urgent(clf, text, rule):
    for variant in (text, strip_diacritics(text)):
        urgent, _framed, fired = assess(prepare(variant).split(), variant)
        assert urgent, variant
        assert clf.classify(variant).urgent, variant
    # the rule named is the one that recognised it (the test fails if the rule is removed)
    assert assess(prepare(text).split(), text)[2].startswith(rule.split("+")[0])


NOT_URGENT = [
    "Thủ tục lắp đồng hồ gas cho nhà mới cần gì ạ",
    "Đề nghị phường làm lan can hồ điều hòa vì trẻ con hay trượt chân xuống hồ",
    "Mỗi khi mưa to là ngõ 8 ngập, nước không thoát được",
    "Năm ngoái có vụ xe tải lật ở dốc này, xin làm biển báo",
    "hố ga trước nhà mất nắp, đi đêm dễ sa xuống lắm",
    "cho em hỏi cách sơ cứu khi người bị ngất xỉu",
    "Đăng ký khai sinh cho cháu ở đâu ạ",
    "Tiền điện tháng này cao quá, nó tính sai rồi",
    "Công trình xây dựng đầu ngõ để vật liệu rơi xuống đường",
    # added after TEST4's first run
    "cá chết nổi lên trắng mương sau khi xưởng nhuộm xả thải",
    "đêm qua có vụ hỗn chiến ở quán nhậu, có người bị thương, giờ yên rồi",
    "cho hỏi số gọi cấp cứu là 115 hay 114 ạ",
    "chiều nào cũng khói đen từ lò than bay sang, ngột ngạt lắm",
    "hàng rào nhà bên lấn sang đất tôi nửa mét",
    "cái tủ cũ với bộ bàn ghế hỏng thì bỏ ở đâu",
    "lớp sơn gờ giảm tốc bị bong hết rồi",
    # added after TEST7's first run
    "bờ sông sau chợ toàn vỏ chai với túi nilon, ai đi qua cũng ngán",
    # added after TEST8's first run
    "con tôi bị cô giáo để ý, đi học sợ lắm",
    "đêm nào tầm 11h cũng có tụi nó đua xe ầm ầm, nguy hiểm cho người đi đường",
    "mong phường hỗ trợ sửa nhà cho bà cụ, mái dột sắp sập",
    "đề xuất mở lớp dạy bơi cho trẻ, năm nào cũng có em bị đuối nước",
    "cống ngầm đường Đồng Khởi bốc mùi, đi qua phải bịt mũi",
    # added after TEST9's first run
    "tháng trước mẹ tôi đột quỵ mà gọi cấp cứu 40 phút mới tới, giờ nghĩ lại vẫn sợ",
    "sáng nào loa thể dục cũng mở từ 4h30, cả xóm bị đánh thức",
    "sinh viên ở ký túc xá bị giật điện thoại liên tục",
    "bàn ghế lớp học gãy chân hết, các cháu ngồi lung lay",
    "dây điện chằng chịt như mạng nhện, lo có ngày chập cháy",
    # added after TEST10's first run
    "con tôi không đi học thêm nhà cô nên bị để ý suốt",
]


@pytest.mark.parametrize("text", NOT_URGENT)
def test_danger_words_in_other_framings_are_not_urgent(clf, text):
    for variant in (text, strip_diacritics(text)):
        assert not clf.classify(variant).urgent, variant


def test_shouted_fire_without_diacritics(clf):
    assert is_shouting("CHAY O NGO 15") and is_shouting("chay nha so 4 !!")
    assert clf.classify("CHAY NHA SO 4 NGO 15").urgent
    assert clf.classify("chay nha so 4 ngo 15 !!!").urgent
    # quietly, "chay" is as likely chạy (run): "xe chạy nhanh quá" is not a fire
    assert not clf.classify("xe chay nhanh qua o ngo 15").urgent


def test_dang_ky_is_not_now():
    # "đăng ký" folds to "dang ky": it must not count as "đang" (happening now), which would
    # lift the procedure framing of the sentence.
    assert assess(prepare("thủ tục đăng ký lắp bình gas").split())[1] is True


@pytest.mark.parametrize("text,topic", [
    ("có người vừa ngã gục trước cửa hàng, không tỉnh", "health"),
    ("ông cụ sống một mình, hai hôm nay gọi cửa không ai trả lời", "social_welfare"),
    ("có đứa nhỏ vừa rơi xuống ao sau nhà", "health"),
])
def test_an_emergency_with_no_field_named_is_routed_by_the_danger_described(clf, text, topic):
    for variant in (text, strip_diacritics(text)):
        result = clf.classify(variant)
        assert result.urgent and result.topic == topic, (variant, result)


def test_an_emergency_without_a_field_goes_to_public_safety(clf):
    # Nothing in "a child wandered off" names a field; an urgent ticket still needs a route.
    for text in ("thằng bé nhà bên đi lạc từ trưa chưa thấy về", "thang be nha ben di lac tu trua chua thay ve"):
        result = clf.classify(text)
        assert result.urgent and result.kind == "complaint" and result.topic == "security"



@pytest.mark.parametrize("text", [
    "thằng bé nhà bên lặn xuống ao mãi không thấy ngoi lên",
    "có anh thanh niên đứng vắt vẻo trên thành cầu nãy giờ, ai nói cũng không nghe",
    "con chó dữ nhà bên xổng ra đang đuổi cắn mấy đứa nhỏ",
])
def test_word_statistics_catch_what_no_rule_describes(clf, text, monkeypatch):
    """No rule or lexicon phrase fires on these; the naive Bayes urgency vote, trained on every
    labelled message, does."""
    import intents.decide as decide_mod

    toks = prepare(text).split()
    assert not assess(toks, text)[0]
    assert clf.lexicon.score(toks)["urgent"].get("yes", 0.0) < 2.5
    for variant in (text, strip_diacritics(text)):
        assert clf.classify(variant).urgent, variant
    monkeypatch.setattr(decide_mod, "URGENT_BAYES_MIN", 1.01)
    assert not clf.classify(text).urgent


def test_word_statistics_do_not_override_framing(clf):
    # past, proposal and procedure framing still mute the statistical vote
    for text in ("tuần trước thằng bé nhà bên lặn xuống ao mãi không thấy ngoi lên, may mà cứu kịp",
                 "đề nghị rào ao sau nhà văn hóa, trẻ con hay lặn xuống đó tắm"):
        assert not clf.classify(text).urgent, text


def test_typed_marks_tell_running_and_flowing_from_burning(clf):
    from intents.normalize import marked_tokens
    from intents.urgency import sense_tokens

    # where the resident typed the marks, "chạy" is running, not "cháy"
    for text in ("nên thay mấy cái đồng hồ điện cũ ở khu tập thể, chạy sai số hoài",
                 "chuột từ đống rác chạy sang nhà dân cắn cả dây điện"):
        assert not clf.classify(text).urgent, text
    assert clf.classify("dây điện trước nhà đang cháy xèo xèo").urgent
    # "chảy máu" keeps meaning bleeding
    toks, marks = marked_tokens("bà cụ ngã đập đầu chảy máu nhiều")
    assert "chay~flow" in sense_tokens(toks, marks)
    assert assess(toks, "", marks)[2] == "person+collapse"
