"""
Checkpoints of the tutorial, cut from one tree by the manifest in checkpoints.toml.

Each step of the tutorial owns some files (the manifest's glob patterns; a
file belongs to the last step whose patterns match it). In the composition
files the manifest names, a line ending in a `tutorial: <step>` comment
arrives with that step, and a comment line saying only `tutorial: <step>`
brings the paragraph it opens (up to the next blank line) with that step.
Checkpoint N holds every file and line of steps 0..N, so the last one is the
whole tree.

    python -m tutorial.checkpoints build [--source REF]   # branches cp0..cpN
    python -m tutorial.checkpoints verify [--source REF]  # build, then test each

Only the standard library is used: the build runs before any virtual
environment exists.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = Path(__file__).with_name("checkpoints.toml")

# `# tutorial: chat`, `// tutorial: chat`, `{# tutorial: chat #}`, `<!-- tutorial: chat -->`
MARKER = re.compile(r"(?:#|//|\{#|<!--)\s*tutorial:\s*(?P<step>[a-z_]+)\s*(?:#\}|-->)?\s*$")
STANDALONE = re.compile(r"^\s*(?:#|//|\{#|<!--)\s*tutorial:\s*[a-z_]+\s*(?:#\}|-->)?\s*$")

AUTHOR = "Relay tutorial <tutorial@relay.invalid>"


@dataclass(frozen=True)
class Step:
    name: str
    branch: str
    title: str
    page: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    steps: tuple[Step, ...]
    composition: tuple[str, ...]
    quoting: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = MANIFEST) -> Manifest:
        return cls.parse(path.read_text())

    @classmethod
    def parse(cls, text: str) -> Manifest:
        data = tomllib.loads(text)
        steps = tuple(
            Step(
                name=step["name"],
                branch=step["branch"],
                title=step["title"],
                page=step["page"],
                files=tuple(step["files"]),
            )
            for step in data["steps"]
        )
        return cls(steps, tuple(data["composition"]), tuple(data.get("quoting", ())))

    def index(self, name: str) -> int:
        for position, step in enumerate(self.steps):
            if step.name == name:
                return position
        raise ValueError(f"unknown tutorial step {name!r}")

    def step_of(self, path: str) -> int | None:
        """Index of the step that owns `path`: the last one whose patterns match it."""
        owner = None
        for position, step in enumerate(self.steps):
            if any(fnmatchcase(path, pattern) for pattern in step.files):
                owner = position
        return owner

    def in_checkpoint(self, path: str, upto: int) -> bool:
        """Whether `path` is in checkpoint `upto`; a file no step claims is an error."""
        owner = self.step_of(path)
        if owner is None:
            raise ValueError(f"{path} belongs to no tutorial step (see {MANIFEST.name})")
        return owner <= upto

    def is_composition(self, path: str) -> bool:
        return any(fnmatchcase(path, pattern) for pattern in self.composition)

    def may_quote_markers(self, path: str) -> bool:
        return any(fnmatchcase(path, pattern) for pattern in self.quoting)


def line_steps(text: str) -> list[str | None]:
    """The step each line is marked with, or None for lines every step has."""
    steps: list[str | None] = []
    paragraph: str | None = None
    for line in text.splitlines():
        if not line.strip():
            paragraph = None  # a paragraph ends at a blank line
        marker = MARKER.search(line)
        if marker and STANDALONE.match(line):
            paragraph = marker["step"]
        steps.append(marker["step"] if marker else paragraph)
    return steps


def cut(text: str, upto: int, manifest: Manifest) -> str:
    """The lines of `text` that belong to steps 0..upto.

    A dropped run of lines that stood between blank lines takes the blank
    lines before it along (after it, at the top of a file), so what remains
    keeps the layout a formatter expects.
    """
    lines = text.splitlines(keepends=True)
    keep = [step is None or manifest.index(step) <= upto for step in line_steps(text)]
    blank = [not line.strip() for line in lines]
    start = 0
    while start < len(lines):
        if keep[start]:
            start += 1
            continue
        end = start
        while end < len(lines) and not keep[end]:
            end += 1
        if (start == 0 or blank[start - 1]) and (end == len(lines) or blank[end]):
            before = start
            while before > 0 and blank[before - 1] and keep[before - 1]:
                before -= 1
            if any(keep[:before]):
                keep[before:start] = [False] * (start - before)
            else:
                after = end
                while after < len(lines) and blank[after]:
                    keep[after] = False
                    after += 1
        start = end
    return "".join(line for line, kept in zip(lines, keep, strict=True) if kept)


def checkpoint(files: Mapping[str, bytes], upto: int, manifest: Manifest) -> dict[str, bytes]:
    """Path -> content of checkpoint `upto`, from the whole tree's files."""
    selected: dict[str, bytes] = {}
    for path, content in files.items():
        if not manifest.in_checkpoint(path, upto):
            continue
        if manifest.is_composition(path):
            content = cut(content.decode(), upto, manifest).encode()
        selected[path] = content
    return selected


def last_present_step(paths: Iterable[str], manifest: Manifest) -> int:
    """Index of the last step with a file in `paths`: the checkpoint a tree is."""
    owners = {manifest.step_of(path) for path in paths}
    return max(owner for owner in owners if owner is not None)


# --- git -------------------------------------------------------------------


def git(*args: str, cwd: Path = ROOT, input: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=cwd, input=input, capture_output=True, check=True
    ).stdout


def tree_entries(commit: str, cwd: Path = ROOT) -> list[tuple[str, str, str]]:
    """(mode, blob id, path) of every file in `commit`."""
    entries = []
    for record in git("ls-tree", "-r", "-z", commit, cwd=cwd).split(b"\0"):
        if record:
            meta, path = record.split(b"\t", 1)
            mode, _kind, blob = meta.decode().split()
            entries.append((mode, blob, path.decode()))
    return entries


def read_blobs(blobs: Iterable[str], cwd: Path = ROOT) -> dict[str, bytes]:
    wanted = sorted(set(blobs))
    out = git("cat-file", "--batch", cwd=cwd, input="".join(f"{b}\n" for b in wanted).encode())
    contents: dict[str, bytes] = {}
    position = 0
    for blob in wanted:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split()[2])
        contents[blob] = out[header_end + 1 : header_end + 1 + size]
        position = header_end + 1 + size + 1
    return contents


def checked_out_branches(cwd: Path = ROOT) -> set[str]:
    listing = git("worktree", "list", "--porcelain", cwd=cwd).decode()
    return {line.split()[1] for line in listing.splitlines() if line.startswith("branch ")}


def build(
    source: str = "main", cwd: Path = ROOT, manifest: Manifest | None = None
) -> dict[str, str]:
    """Create or refresh branch cpN for every step; returns branch -> commit id.

    Works on git objects only: the working tree, the index and the current
    branch are left alone. A checkpoint branch checked out somewhere is not
    moved (it is reported instead). Commits are deterministic, so a rebuild
    from the same source leaves the branches where they were.
    """
    commit = current_commit(f"{source}^{{commit}}", cwd)
    if commit is None:
        raise ValueError(f"{source} names no commit here; pass --source with a branch or commit")
    if manifest is None:
        # The manifest of the tree being cut, whatever is checked out here.
        manifest_path = MANIFEST.relative_to(ROOT).as_posix()
        manifest = Manifest.parse(git("show", f"{commit}:{manifest_path}", cwd=cwd).decode())
    when = git("show", "-s", "--format=%ct", commit, cwd=cwd).decode().strip()
    entries = tree_entries(commit, cwd)
    modes = {path: mode for mode, _, path in entries}
    blob_ids = {path: blob for _, blob, path in entries}
    composition = [path for path in blob_ids if manifest.is_composition(path)]
    contents = read_blobs((blob_ids[path] for path in composition), cwd)

    stream = bytearray()
    for position, step in enumerate(manifest.steps):
        message = (
            f"Tutorial part {position}: {step.title}\n\n"
            f"Checkpoint {step.branch}, cut from {commit[:12]} by `make checkpoints`.\n"
        ).encode()
        stream += f"commit refs/tutorial/build\nmark :{position + 1}\n".encode()
        stream += f"author {AUTHOR} {when} +0000\ncommitter {AUTHOR} {when} +0000\n".encode()
        stream += f"data {len(message)}\n".encode() + message
        if position:
            stream += f"from :{position}\n".encode()
        stream += b"deleteall\n"
        for path in sorted(blob_ids):
            if not manifest.in_checkpoint(path, position):
                continue
            if manifest.is_composition(path):
                data = cut(contents[blob_ids[path]].decode(), position, manifest).encode()
                stream += f"M {modes[path]} inline {path}\n".encode()
                stream += f"data {len(data)}\n".encode() + data + b"\n"
            else:
                stream += f"M {modes[path]} {blob_ids[path]} {path}\n".encode()
        stream += b"\n"

    with tempfile.NamedTemporaryFile() as marks:
        git(
            "fast-import",
            "--quiet",
            "--force",
            f"--export-marks={marks.name}",
            cwd=cwd,
            input=bytes(stream),
        )
        ids = dict(line.split() for line in Path(marks.name).read_text().splitlines())
    git("update-ref", "-d", "refs/tutorial/build", cwd=cwd)

    busy = checked_out_branches(cwd)
    built: dict[str, str] = {}
    for position, step in enumerate(manifest.steps):
        ref = f"refs/heads/{step.branch}"
        new = ids[f":{position + 1}"]
        if ref in busy and current_commit(ref, cwd) != new:
            print(
                f"!!  {step.branch} is checked out, so it was left as it is; "
                "switch to another branch and run this again to refresh it"
            )
            continue
        git("update-ref", ref, new, cwd=cwd)
        built[step.branch] = new
    return built


def current_commit(ref: str, cwd: Path = ROOT) -> str | None:
    found = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", ref], cwd=cwd, capture_output=True, text=True
    )
    return found.stdout.strip() or None


# --- verify ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def smoke_run(tree: Path, env: dict[str, str]) -> None:
    """`make run` serves the home page and every part's page, then stops on Ctrl-C."""
    port = free_port()
    log = (tree / ".run-smoke.log").open("wb")
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
                    raise SystemExit(f"make run did not serve; see {log.name}") from None
                time.sleep(0.5)
        for page in ("/", "/chat/", "/assistants/", "/system/"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=10) as reply:
                assert reply.status == 200, (page, reply.status)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def verify(source: str, only: list[str] | None = None) -> None:
    """Build the checkpoints, then prove each one installs, migrates, runs and passes its tests."""
    manifest = Manifest.load()
    built = build(source)
    last = manifest.steps[-1].branch
    whole = git("rev-parse", f"{source}^{{tree}}").decode().strip()
    if git("rev-parse", f"{built[last]}^{{tree}}").decode().strip() != whole:
        raise SystemExit(
            f"{last} differs from {source}: the last checkpoint must be the whole tree"
        )
    print(f"==> {last} is identical to {source}")

    env = {**os.environ, "CI": os.environ.get("CI", "true")}
    env.pop("VIRTUAL_ENV", None)
    timings: list[tuple[str, float]] = []
    # One virtual environment for every checkpoint, each topping it up with
    # what its requirements add (a checkpoint's requirements hold all of the
    # previous one's): every package is installed once, not once per
    # checkpoint, a minute saved on each. Creating it is the main tree's part.
    with tempfile.TemporaryDirectory(prefix="relay-venv-") as venv:
        shared = Path(venv)
        subprocess.run([sys.executable, "-m", "venv", str(shared)], check=True)
        for step in manifest.steps[:-1]:
            if only and step.branch not in only:
                continue
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix=f"relay-{step.branch}-") as scratch:
                tree = Path(scratch) / "tree"
                git("worktree", "add", "--detach", "--quiet", str(tree), built[step.branch])
                (tree / ".venv").symlink_to(shared, target_is_directory=True)
                try:
                    print(f"==> {step.branch} ({step.title}): make test", flush=True)
                    subprocess.run(["make", "test"], cwd=tree, env=env, check=True)
                    print(f"==> {step.branch}: manage.py check, migrate, make run", flush=True)
                    python = str(tree / ".venv" / "bin" / "python")
                    subprocess.run([python, "manage.py", "check"], cwd=tree, env=env, check=True)
                    subprocess.run(
                        [python, "manage.py", "migrate", "--noinput", "-v", "0"],
                        cwd=tree,
                        env=env,
                        check=True,
                    )
                    smoke_run(tree, env)
                finally:
                    git("worktree", "remove", "--force", str(tree))
            timings.append((step.branch, time.monotonic() - started))
    for branch, seconds in timings:
        print(f"==> {branch} verified in {seconds:.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tutorial.checkpoints",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["build", "verify"])
    parser.add_argument("--source", default="main", help="the branch or commit to cut from")
    parser.add_argument("--only", nargs="*", help="verify only these checkpoints (cp0 ...)")
    args = parser.parse_args(argv)
    try:
        run(args.command, args.source, args.only)
    except (ValueError, subprocess.CalledProcessError) as failure:
        detail = getattr(failure, "stderr", None) or b""
        raise SystemExit(f"{failure}\n{detail.decode(errors='replace')}".strip()) from failure


def run(command: str, source: str, only: list[str] | None) -> None:
    if command == "build":
        for branch, commit in build(source).items():
            print(f"{branch}  {commit[:12]}")
        print("Check one out with: git checkout cp0")
    else:
        verify(source, only)


if __name__ == "__main__":
    main()
