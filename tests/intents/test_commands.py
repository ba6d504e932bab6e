

def test_every_button_title_reads_as_its_command():
    """Titles are defined once (intents.commands.BUTTON_TITLES) and a tap is read as its command."""
    from handlers.texts import words
    from intents.commands import BUTTON_TITLES, parse

    for command, titles in BUTTON_TITLES.items():
        for title in titles:
            assert parse(title).name == command, title
    assert words.MENU == ("Phản ánh", "Kiến nghị", "Hỏi đáp", "Tra cứu")
    assert words.BTN_SUBMIT_QUESTION == "Gửi câu hỏi" and parse("gửi câu hỏi").name == "submit"
