"""The layers point one way (issue 13), read from the imports themselves with `ast`.

intents (0) < storage (1) < handlers (2) < webhooks, sheets_sync (3) < bot (4): a module imports
its own package or lower ones only; webhooks and sheets_sync never import each other; no
module imports itself back through others (imports inside functions count: they run too);
and only the webhooks read `flask.request`, besides the fakes, the sandbox and benchmarks.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RANK = {"intents": 0, "storage": 1, "handlers": 2, "webhooks": 3, "sheets_sync": 3, "bot": 4}
# Stand-ins for Zalo and Google and load generators serve HTTP themselves; so does the sandbox's
# browser console (bot/sandbox/console/, served only when no real Zalo or sheet is configured).
MAY_READ_REQUEST = ("webhooks/", "bot/sandbox/", "bot/bench/")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


FILES = {_module_name(p): p for package in RANK for p in sorted((ROOT / package).rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The project module `name` loads: itself, or the nearest enclosing package that exists
    (`from storage.models import Ticket` is storage.models; `import storage` is storage)."""
    while name:
        if name in FILES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> dict[str, int]:
    """Project modules `module` imports anywhere in its file -> the first line that does."""
    path = FILES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from pkg import mod` loads pkg.mod; `from mod import name` loads mod.
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.setdefault(target, node.lineno)
    return found


GRAPH = {module: imports_of(module) for module in FILES}


def _rel(module: str) -> str:
    return str(FILES[module].relative_to(ROOT))


def test_every_import_points_to_the_same_layer_or_below():
    wrong = []
    for module, targets in GRAPH.items():
        package = module.split(".")[0]
        for target, line in targets.items():
            other = target.split(".")[0]
            if other == package:
                continue
            if RANK[other] >= RANK[package]:
                wrong.append(f"{_rel(module)}:{line} imports {target} ({package} may not import {other})")
    assert not wrong, "\n".join(wrong)


def test_no_module_cycles():
    """Every strongly connected group of modules (Tarjan), each a set of import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    report = []
    for group in groups:
        edges = [f"  {_rel(a)}:{GRAPH[a][b]} -> {b}" for a in group for b in group
                 if b in GRAPH[a]]
        report.append(f"cycle among {', '.join(group)}:\n" + "\n".join(edges))
    assert not report, "\n".join(report)


def _reads_request(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "flask" and any(
                alias.name == "request" for alias in node.names):
            lines.append(node.lineno)
        elif (isinstance(node, ast.Attribute) and node.attr == "request"
              and isinstance(node.value, ast.Name) and node.value.id == "flask"):
            lines.append(node.lineno)
    return lines


def test_only_webhooks_read_the_http_request():
    readers = [f"{_rel(m)}:{line}" for m, p in FILES.items() for line in _reads_request(p)
               if not _rel(m).startswith(MAY_READ_REQUEST)]
    assert not readers, "flask.request read outside webhooks/: " + ", ".join(readers)


def test_the_checks_see_what_they_check():
    """The graph is the project's: known imports are in it, and every package has modules."""
    assert "storage.messages" in GRAPH["handlers.context"]
    assert "storage.models" in GRAPH["storage.outbox"]
    assert "handlers.faq" in GRAPH["handlers.intake_steps"]
    assert "intents.faq" in GRAPH["bot.ward_profile"]  # an import inside a function body counts
    assert {m.split(".")[0] for m in FILES} == set(RANK)
    assert _reads_request(ROOT / "webhooks" / "zalo.py")


def test_the_runtime_never_reaches_into_the_webhook_package():
    """The worker reads stored events through storage (raw_json, zalo_events); only the app
    factory mounts the webhooks. A message goes edge -> storage -> runtime -> handlers."""
    reaching = [f"{_rel(m)}:{line} imports {t}" for m, targets in GRAPH.items()
                if m.startswith("bot.runtime") for t, line in targets.items() if t.startswith("webhooks")]
    assert not reaching, "\n".join(reaching)


def test_the_sheet_sync_leaves_telling_residents_to_the_composition_root():
    """sheets_sync applies officers' edits and returns them (`TicketEdit`); the use case that
    tells the resident is called by bot/runtime/sheets.py, in the same transaction."""
    reaching = [f"{_rel(m)}:{line} imports {t}" for m, targets in GRAPH.items()
                if m.startswith("sheets_sync") for t, line in targets.items() if t == "handlers.ticket_updates"]
    assert not reaching, "\n".join(reaching)
    assert "handlers.ticket_updates" in GRAPH["bot.runtime.sheets"]
