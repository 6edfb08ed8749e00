"""
WebSocket protocol conformance: the Autobahn cases (run natively by kosoku)
against the project's guards on each ASGI server, held to pinned results.

A case that passed when the results were pinned must still pass. Frames
over the project's 768 KiB ceiling are refused by design, so the large
message cases (9.*) fail on purpose wherever the server lets such frames
reach the application. The compression cases (12.*, 13.*) are not run:
no endpoint relies on permessage-deflate, and they take minutes.

Re-pin after upgrading a server: PIN_AUTOBAHN=1 pytest tests/config/test_conformance_e2e.py
"""

import json
import os
import subprocess
import sys
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.support.servers import BASE_DIR, Server, migrated_env, running_server

PINNED = Path(__file__).with_name("autobahn")
EXCLUDED = ["12.*", "13.*"]
PASSING = {"OK", "NON-STRICT", "INFORMATIONAL"}


def level(verdict: str) -> int:
    """2 passing, 1 unimplemented, 0 failed."""
    behaviour, closing = verdict.split(" / ")
    if behaviour in PASSING and closing in {"OK", "INFORMATIONAL"}:
        return 2
    return 1 if behaviour == "UNIMPLEMENTED" else 0


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
@pytest.mark.timeout(300)
def test_no_autobahn_case_does_worse_than_its_pinned_result(server: Server, tmp_path: Path) -> None:
    env = migrated_env(tmp_path, redis_url=None)
    app = "tests.support.conformance:application"
    with running_server(env, tmp_path, server, app=app) as running:
        run = subprocess.run(
            [sys.executable, "-m", "tests.support.autobahn", f"{running.ws_url}/ws/", *EXCLUDED],
            cwd=BASE_DIR, capture_output=True, text=True, check=True, timeout=240,
        )  # fmt: skip
    verdicts: dict[str, str] = json.loads(run.stdout)
    pin = PINNED / f"{server}-{version(server)}.json"
    if os.environ.get("PIN_AUTOBAHN") == "1":
        pin.parent.mkdir(exist_ok=True)
        pin.write_text(json.dumps(verdicts, indent=1, sort_keys=True) + "\n")
    pinned: dict[str, str] = json.loads(pin.read_text())

    worse = {
        case: f"pinned {pinned[case]}, now {verdicts.get(case, 'not run')}"
        for case in pinned
        if level(verdicts.get(case, "ERROR / ERROR")) < level(pinned[case])
    }
    print(f"\n{server} {version(server)}: {Counter(map(level, verdicts.values()))}")
    assert worse == {}
    assert set(verdicts) >= set(pinned)
