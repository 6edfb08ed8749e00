"""
`make checkpoints-verify` (CI): every checkpoint installs, runs and passes its own tests.

Each checkpoint is checked out in a scratch worktree and sees `make test`,
and beside it `make run` serving every page until Ctrl-C: the server's
start (migrations, the server, a Celery worker) is mostly waiting, which
the tests' own waits overlap. One virtual environment
serves them all: each checkpoint tops it up with what its requirements add,
so a package is installed once, not once per checkpoint, and mypy's cache
with it. npm's folder is shared where a checkpoint's lock file is main's.

Two kinds of tests are left out, to keep CI within its time on two cores;
`python -m tutorial verify --full` runs them too:

- the book's own tests (tests/tutorial, tests/docs), the same files in
  every checkpoint, which main's `make test` runs once;
- LONG_TESTS, the long tests of the finished project (protocol conformance,
  hostile input, slow clients, restarts of Redis and of workers, several
  processes, Redis lost and back under the layer, the benchmarks' tests,
  what importing the assistant's backend
  costs a new process, the AsyncAPI viewer, the assistant's and the system
  pages and the chat's page and sidebar in a browser, the browser tests of
  private rooms, reconnection and the later parts' chat features, the chat
  and origin checks against a server, a server on PostgreSQL), each 10 to
  110 seconds, together most of a late checkpoint's time. Each runs at
  the checkpoint of the part that brings it, and main's `make test` runs
  every one; the checkpoints after keep the rest of their tests (their
  consumers, services and views, in the process and against a real
  server), and `make run` serves every page.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tutorial.branches import build
from tutorial.checkpoints import TutorialError, book_at
from tutorial.gitdb import Git

PAGES = ("/", "/chat/", "/assistants/", "/system/")
BOOK_TESTS = ("tests/tutorial", "tests/docs")
LONG_TESTS = (
    "tests/assistants/test_assistant_e2e.py",
    "tests/assistants/test_assistant_page_browser.py",
    "tests/assistants/test_backends.py",
    "tests/bench",
    "tests/chat/test_asyncapi_docs_browser.py",
    "tests/chat/test_chat_e2e.py",
    "tests/chat/test_chat_page_browser.py",
    "tests/chat/test_chat_sidebar_browser.py",
    "tests/chat/test_files_browser.py",
    "tests/chat/test_heads_e2e.py",
    "tests/chat/test_mentions_browser.py",
    "tests/chat/test_message_changes_browser.py",
    "tests/chat/test_moderation_browser.py",
    "tests/chat/test_presence_e2e.py",
    "tests/chat/test_private_rooms_browser.py",
    "tests/chat/test_reactions_browser.py",
    "tests/chat/test_read_state_browser.py",
    "tests/chat/test_reconnect_browser.py",
    "tests/chat/test_resume_e2e.py",
    "tests/chat/test_search_browser.py",
    "tests/chat/test_search_e2e.py",
    "tests/config/test_asyncapi_docs_browser.py",
    "tests/config/test_conformance_e2e.py",
    "tests/config/test_fuzz_e2e.py",
    "tests/config/test_idle_browser.py",
    "tests/config/test_logging_e2e.py",
    "tests/config/test_origins_e2e.py",
    "tests/config/test_production_e2e.py",
    "tests/config/test_redis_restart_e2e.py",
    "tests/config/test_scale_out_e2e.py",
    "tests/config/test_shutdown_e2e.py",
    "tests/config/test_slow_client_e2e.py",
    "tests/core/test_layers.py",
    "tests/core/test_lifespan_e2e.py",
    "tests/core/test_pg_e2e.py",
    "tests/core/test_serving_e2e.py",
    "tests/scripts/test_run.py",
    "tests/system/test_jobs_celery_e2e.py",
    "tests/system/test_notifications_e2e.py",
    "tests/system/test_system_page_browser.py",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def smoke_run(tree: Path, env: dict[str, str]) -> None:
    """`make run` serves the home page and every part's page, then stops on Ctrl-C."""
    port = free_port()
    log_path = tree / ".run-smoke.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=tree,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError):
                    if server.poll() is not None or time.monotonic() > deadline:
                        sys.stdout.write(log_path.read_text(errors="replace")[-4000:])
                        raise TutorialError(f"make run did not serve in {tree}") from None
                    time.sleep(0.5)
            for page in PAGES:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=10) as reply:
                    if reply.status != 200:
                        raise TutorialError(f"make run served {page} with {reply.status}")
        finally:
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def redis_answers(port: int = 6379) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
            probe.sendall(b"PING\r\n")
            return probe.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_throughout() -> Iterator[None]:
    """
    A Redis on 127.0.0.1:6379 for the whole verification, if none runs and
    redis-server is installed. Each checkpoint's `make test` and `make run`
    (scripts/with-redis) would otherwise each start one, and the first to
    finish would stop the Redis the other still uses.
    """
    if os.environ.get("REDIS_URL") or redis_answers() or shutil.which("redis-server") is None:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="relay-redis-") as workdir:
        server = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while not redis_answers():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise TutorialError("redis-server did not start for the verification")
                time.sleep(0.1)
            print(
                "==> Redis: started redis-server on 127.0.0.1:6379 for the checkpoints", flush=True
            )
            yield
        finally:
            server.terminate()
            server.wait()


def test_and_run(tree: Path, env: dict[str, str]) -> None:
    """
    `make test`, and `make run` serving every page beside it. The virtual
    environment is topped up first, so the two never install at once.
    """
    subprocess.run(["scripts/setup", "dev"], cwd=tree, env=env, check=True)
    with ThreadPoolExecutor(max_workers=1) as beside:
        # `make run` migrates, and runserver refuses to start on a failed check.
        served = beside.submit(smoke_run, tree, env)
        tested = subprocess.run(["make", "test"], cwd=tree, env=env)
        served.result()
    if tested.returncode != 0:
        raise TutorialError(f"make test failed in {tree} (exit {tested.returncode})")


def long_tests_left_out(git: Git, before: str) -> list[str]:
    """The LONG_TESTS that checkpoint `before` has already: they ran where they arrived."""
    return [path for path in LONG_TESTS if git.text("ls-tree", before, path)]


def verify(git: Git, source: str, only: list[str] | None = None, full: bool = False) -> None:
    built = build(git, source)
    book = book_at(git, git.text("rev-parse", f"{source}^{{tree}}"))
    last = book.last.branch
    if git.text("rev-parse", f"{built[last]}^{{tree}}") != git.text(
        "rev-parse", f"{source}^{{tree}}"
    ):
        raise TutorialError(f"{last} differs from {source}: the last checkpoint must be it")
    print(f"==> {last} is {source} itself; checking cp0..{book.parts[-2].branch}", flush=True)
    env = {**os.environ, "CI": os.environ.get("CI", "true")}
    # One worker per core: with the long tests left out, what is left mostly
    # runs in the process, and each extra worker boots Django, builds its test
    # database and may start a server of its own. cp22 took 153 s with 2
    # workers and 180 s with 4 on two cores (TEST_WORKERS=N overrides it).
    env.setdefault("TEST_WORKERS", "2")
    env.pop("VIRTUAL_ENV", None)
    addopts = os.environ.get("PYTEST_ADDOPTS", "")
    # node_modules by package-lock.json: each lock is installed once, by the first
    # checkpoint that has it (or is main's), and lent to every other checkpoint with it.
    installed: dict[bytes, Path] = {}
    if (git.root / "node_modules").is_dir():
        installed[(git.root / "package-lock.json").read_bytes()] = git.root / "node_modules"
    timings: list[tuple[str, float]] = []
    with redis_throughout(), tempfile.TemporaryDirectory(prefix="relay-venv-") as venv:
        shared = Path(venv)
        subprocess.run([sys.executable, "-m", "venv", str(shared)], check=True)
        # mypy's cache is shared too: checkpoints differ in a few modules, and
        # a module it has seen is checked again only if its source changed.
        env["MYPY_CACHE_DIR"] = str(shared / ".mypy_cache")
        for part in book.parts[:-1]:
            if only and part.branch not in only:
                continue
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix=f"relay-{part.branch}-") as scratch:
                tree = Path(scratch) / "tree"
                git.run("worktree", "add", "--detach", "--quiet", str(tree), built[part.branch])
                (tree / ".venv").symlink_to(shared, target_is_directory=True)
                tree_lock = (tree / "package-lock.json").read_bytes()
                modules = tree / "node_modules"
                if tree_lock in installed:
                    modules.symlink_to(installed[tree_lock], target_is_directory=True)
                # The book's own tests are the same files in every checkpoint, and
                # main's `make test` has replayed every page onto every checkpoint
                # already: here each checkpoint's tests are its code's.
                left_out = list(BOOK_TESTS)
                if not full and part.number > 0:
                    long_before = long_tests_left_out(
                        git, built[book.parts[part.number - 1].branch]
                    )
                    if long_before:
                        print(
                            f"==> {part.branch}: long tests run where they arrived, and on main: "
                            f"leaving out {' '.join(long_before)}",
                            flush=True,
                        )
                    left_out += long_before
                ignores = [f"--ignore={path}" for path in left_out]
                env["PYTEST_ADDOPTS"] = " ".join([addopts, *ignores]).strip()
                try:
                    print(f"==> {part.branch} ({part.title}): make test, make run", flush=True)
                    test_and_run(tree, env)
                    if tree_lock not in installed and modules.is_dir() and not modules.is_symlink():
                        # Still named node_modules: Node finds a package's own
                        # dependencies by that name, from the package's real path.
                        kept = shared / f"modules-{len(installed)}" / "node_modules"
                        kept.parent.mkdir()
                        shutil.move(modules, kept)
                        installed[tree_lock] = kept
                finally:
                    git.run("worktree", "remove", "--force", str(tree))
            timings.append((part.branch, time.monotonic() - started))
    for branch, seconds in timings:
        print(f"==> {branch} verified in {seconds:.0f} s")
