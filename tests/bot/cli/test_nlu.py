import io
import json

import pytest

from bot.cli.main import main as bot_main


def run(monkeypatch, capsys, argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = bot_main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(autouse=True)
def _no_db(monkeypatch, tmp_path):
    # classify must work without a database: point it at an empty one.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    monkeypatch.delenv("FAQ_FILE", raising=False)


def test_classify_one_json_per_line(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["classify"],
                       "den duong to 5 hong 3 hom nay r\ncho e hoi lam cccd o dau a\n\n")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(lines) == 3
    assert set(lines[0]) == {"kind", "topic", "urgent", "confidence"}
    assert lines[0]["kind"] == "complaint" and lines[0]["topic"] == "infrastructure"
    assert lines[1]["kind"] == "question" and lines[1]["urgent"] is False


def test_classify_verbose_says_what_decided(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["classify", "--verbose"],
                       "Cử tri đề nghị sớm nâng cấp đường liên xã\n")
    line = json.loads(out.splitlines()[0])
    assert code == 0 and line["kind"] == "suggestion"
    assert any("petition" in r for r in line["reasons"])  # the override that decided
    assert any(r.startswith("nearest example") for r in line["reasons"])


def test_faq_ask(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["faq", "ask"], "lam cccd o dau\ngia vang hom nay\n")
    a, b = [json.loads(x) for x in out.splitlines()]
    assert a["question"].startswith("Làm thẻ căn cước") and a["answer"]
    assert b["question"] is None and b["answer"] is None and isinstance(b["score"], float)


def test_faq_import_export(monkeypatch, capsys, tmp_path):
    target = tmp_path / "kb" / "faq.csv"
    monkeypatch.setenv("FAQ_FILE", str(target))
    src = tmp_path / "new.csv"
    src.write_text("question,answer\nChợ họp mấy giờ?,Từ 5 giờ sáng.\n", encoding="utf-8")
    assert run(monkeypatch, capsys, ["faq", "import", str(src)])[0] == 0
    assert target.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
    code, out, _ = run(monkeypatch, capsys, ["faq", "ask"], "cho hop may gio\n")
    assert json.loads(out)["question"] == "Chợ họp mấy giờ?"
    dest = tmp_path / "export.csv"
    assert run(monkeypatch, capsys, ["faq", "export", str(dest)])[0] == 0
    assert "Chợ họp mấy giờ?" in dest.read_text(encoding="utf-8")


def test_faq_import_rejects_bad_file_and_keeps_old(monkeypatch, capsys, tmp_path):
    target = tmp_path / "faq.csv"
    target.write_text("question,answer\nA?,B.\n", encoding="utf-8")
    monkeypatch.setenv("FAQ_FILE", str(target))
    bad = tmp_path / "bad.csv"
    bad.write_text("câu hỏi,trả lời\nA,B\n", encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, ["faq", "import", str(bad)])
    assert code == 2 and "question" in err
    assert target.read_text(encoding="utf-8") == "question,answer\nA?,B.\n"


def test_faq_file_set_only_in_dotenv_is_the_faq_in_use(monkeypatch, capsys, tmp_path):
    """FAQ_FILE written in .env (not exported in the shell) is read by `faq ask` and `faq
    import`, as by the worker."""
    kb = tmp_path / "faq.csv"
    kb.write_text("question,answer\nChợ họp mấy giờ?,Từ 5 giờ sáng.\n", encoding="utf-8")
    (tmp_path / ".env").write_text(f"FAQ_FILE={kb}\n", encoding="utf-8")
    monkeypatch.setattr("bot.settings.ROOT", tmp_path)
    # Loading .env sets FAQ_FILE in os.environ: recorded here so the test leaves it unset.
    monkeypatch.setenv("FAQ_FILE", "")
    monkeypatch.delenv("FAQ_FILE")
    code, out, _ = run(monkeypatch, capsys, ["faq", "ask"], "cho hop may gio\n")
    assert code == 0 and json.loads(out)["answer"] == "Từ 5 giờ sáng."
    src = tmp_path / "new.csv"
    src.write_text("question,answer\nMấy giờ đóng cửa?,17 giờ.\n", encoding="utf-8")
    assert run(monkeypatch, capsys, ["faq", "import", str(src)])[0] == 0
    assert kb.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")


def test_eval_last_line_is_json(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["eval", "--split", "dev"])
    figures = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    for key in ("kind_accuracy", "topic_macro_f1", "urgent_recall", "faq_top1", "oos_declined",
                "kind_accuracy_stripped", "faq_top1_stripped"):
        assert 0.0 <= figures[key] <= 1.0
    assert "confusion" in out and "precision" in out


def test_learn_and_correct_need_valid_input(monkeypatch, capsys, clean_db, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    code, out, _ = run(monkeypatch, capsys, ["learn", "--text", "chó sủa cả đêm", "--kind", "complaint",
                                             "--topic", "culture_other"])
    assert code == 0 and "#" in out
    code, _, err = run(monkeypatch, capsys, ["correct", "PA-2000-0001", "--kind", "complaint"])
    assert code == 2 and "PA-2000-0001" in err
