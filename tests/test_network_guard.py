"""The root conftest's network guard fails a test that reaches beyond this machine, even when
the code under test swallows what the guard raised."""
from __future__ import annotations

import subprocess
import sys
from tests.support import ROOT


# Run with the root conftest as a plugin, in a fresh pytest: the guard is what is being tested,
# so it cannot be the guard of this very run.
TINY = '''
import socket

import requests


def test_swallows_an_exception():
    try:
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    except Exception:
        pass


def test_swallows_everything():
    try:
        requests.get("https://openapi.zalo.me/v3.0/oa/message/cs", timeout=1)
    except BaseException:
        pass


def test_connects_directly_and_swallows():
    sock = socket.socket()
    try:
        sock.connect(("10.1.2.3", 443))
    except BaseException:
        pass
    finally:
        sock.close()


def test_local_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=1).close()
'''


def test_guard_fails_tests_whose_code_swallows_the_error(tmp_path):
    test_file = tmp_path / "test_tiny.py"
    test_file.write_text(TINY, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.conftest", "-rA",
         "--rootdir", str(tmp_path), str(test_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    summary = [line for line in run.stdout.splitlines() if line.startswith(("PASSED", "FAILED", "ERROR"))]
    failing = {line.split("::")[1].split(" ")[0] for line in summary if not line.startswith("PASSED")}
    # A test whose code swallowed the guard's exception passes its call and fails at teardown.
    assert failing == {"test_swallows_an_exception", "test_swallows_everything",
                       "test_connects_directly_and_swallows"}, run.stdout + run.stderr
    assert any(line.startswith("PASSED") and line.endswith("::test_local_is_allowed") for line in summary)
    for tried in ("93.184.216.34", "openapi.zalo.me", "('10.1.2.3', 443)"):
        assert f"tests must not reach the network (tried to " in run.stdout and tried in run.stdout
    assert run.returncode == 1
