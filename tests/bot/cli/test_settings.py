"""bot/cli/settings.py: `--ward` on every command that touches a ward's data, resolved in one
place — optional with one ward, required (naming the wards) with several."""
from __future__ import annotations

import argparse

import pytest

from bot.settings import SettingsError

# The commands that work in one ward. Every other command is the deployment's (serve, worker,
# migrate, status, token-key, jobs, wards, learn, classify, eval, faq ask|import|export, the
# benchmarks) — or, for `forms post`, reaches the ward through the service's forms webhook.
WARD_COMMANDS = {"tickets", "chat", "groups", "announce", "report", "notify-stats", "sheets",
                 "privacy", "correct", "faq check"}

# One invocation of each, complete but for --ward.
INVOCATIONS = [
    ["tickets"], ["chat"], ["groups", "list"], ["announce", "list"], ["report", "weekly"],
    ["notify-stats"], ["sheets", "show"], ["privacy", "export", "PA-2026-0001", "--out", "x.json"],
    ["correct", "PA-2026-0001", "--kind", "complaint"], ["faq", "check"],
]


def _commands_with_ward() -> set[str]:
    from bot.cli.main import build_parser

    found = set()

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{prefix} {name}".strip())
            elif "--ward" in action.option_strings:
                found.add(prefix)
    walk(build_parser(), "")
    return found


def test_exactly_the_ward_commands_take_ward():
    assert _commands_with_ward() == WARD_COMMANDS
    assert {" ".join(argv[:2]) if argv[0] == "faq" else argv[0] for argv in INVOCATIONS} == WARD_COMMANDS


def test_one_ward_needs_no_ward_option(cli):
    from bot.cli.settings import load_ward

    ward, settings = load_ward(argparse.Namespace(ward=None))
    assert ward.code == "default" and ward.is_default
    assert load_ward(argparse.Namespace(ward="default"))[0].id == 1
    with pytest.raises(SettingsError, match="Không có phường «an-hai». Các phường: default."):
        load_ward(argparse.Namespace(ward="an-hai"))


def test_the_ward_settings_are_the_wards_own(cli, ward_b):
    from bot.cli.settings import load_ward
    from tests.bot.cli.conftest import B_APP, B_OA, B_SECRET

    ward, settings = load_ward(argparse.Namespace(ward="an-hai"))
    assert ward.id == ward_b
    assert (settings.zalo_oa_id, settings.zalo_app_id, settings.zalo_oa_secret_key) == (B_OA, B_APP, B_SECRET)
    assert settings.ward_name == "Phường An Hải" and settings.officer_zalo_ids == ("910000000000000001",)
    assert settings.zalo_access_token == ""  # its pair is in the database, never the environment's


@pytest.mark.parametrize("argv", INVOCATIONS, ids=lambda argv: " ".join(argv[:2]))
def test_with_two_wards_every_ward_command_asks_which(cli, ward_b, argv):
    if argv != ["chat"]:  # `chat` talks to the default ward unless told (tests/bot/cli/test_main.py)
        code, out, err = cli(*argv)
        assert code == 2, (out, err)
        assert "cần chọn một bằng --ward" in err and "Các phường: default, an-hai." in err
    code, out, err = cli(*argv, "--ward", "hoa-cuong")
    assert code == 2 and "Không có phường «hoa-cuong». Các phường: default, an-hai." in err
