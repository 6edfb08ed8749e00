"""Which backend answers, and what choosing it costs a server process."""

import json
import os
import subprocess
import sys

from tests.support.servers import BASE_DIR

# Sets Django up as a server process does, asks for the backend as the first
# question would, and says which modules were imported before and after.
PROBE = """
import json, sys
import django
django.setup()
started = "openai" in sys.modules
from assistants.backends import current_backend
backend = type(current_backend()).__name__
print(json.dumps([started, backend, "openai" in sys.modules]))
"""


def modules_with(**settings: str) -> tuple[bool, str, bool]:
    """Whether openai was imported at start-up, the backend, and whether it was after asking."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", **settings)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    started, backend, after = json.loads(result.stdout.strip().splitlines()[-1])
    return started, backend, after


def test_the_offline_assistant_never_imports_openai() -> None:
    assert modules_with() == (False, "DocsBackend", False)


def test_a_configured_server_has_openai_imported_at_start_up_not_by_the_first_question() -> None:
    started, backend, _ = modules_with(OPENAI_BASE_URL="http://127.0.0.1:9/v1")

    assert (started, backend) == (True, "OpenAICompatibleBackend")
