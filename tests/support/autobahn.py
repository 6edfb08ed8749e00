"""
Runs the Autobahn cases with kosoku and prints each case's verdict as JSON.

    python -m tests.support.autobahn ws://127.0.0.1:8000/ws/ 12.* 13.*

In a process of its own: kosoku gives the case files a pure-Python copy of
autobahn, which an autobahn already imported (by daphne, say) would shadow.
"""

import asyncio
import json
import os
import sys

from kosoku import FailureError, run_fuzzingclient


async def verdicts(url: str, excluded: list[str]) -> dict[str, str]:
    try:
        results = await run_fuzzingclient(url, exclude_cases=excluded, concurrency=4)
    except FailureError as failed:
        results = failed.results
    return {r.case_id: f"{r.behavior.value} / {r.behavior_close.value}" for r in results}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(verdicts(sys.argv[1], sys.argv[2:]))), flush=True)
    # kosoku's native runtime sometimes aborts while the interpreter shuts
    # down; the verdicts are out by then, so skip the shutdown.
    os._exit(0)
