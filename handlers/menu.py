"""The menu buttons (Phản ánh, Kiến nghị) and "menu" itself."""
from __future__ import annotations

from handlers import intake, texts
from handlers.context import Context
from intents.commands import parse as parse_command
from storage.messages import Inbound


def on_menu(event: Inbound, ctx: Context) -> bool:
    command = parse_command(event.text) if event.kind == "text" else None
    if command is None:
        return False
    if command.name == "menu_report":
        intake.start(ctx, "complaint")
        return True
    if command.name == "menu_suggest":
        intake.start(ctx, "suggestion")
        return True
    if command.name == "menu":
        ctx.reply(texts.menu_prompt())
        return True
    return False
