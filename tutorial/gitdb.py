"""
Trees of files as git stores them, changed without touching any working tree.

The checkpoints are computed on git objects: a tree is read into a
temporary index, patches are applied to that index (`git apply --cached`),
and the result written back as a tree. The reader's working tree, index
and branches are never touched.
"""

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

Entry = tuple[str, str]  # (mode, blob id)


class GitError(RuntimeError):
    pass


@dataclass(frozen=True)
class Git:
    root: Path
    env: Mapping[str, str] | None = None

    def run(self, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
        done = subprocess.run(
            ["git", *args],
            cwd=self.root,
            input=input,
            capture_output=True,
            env={**os.environ, **(self.env or {})},
        )
        if check and done.returncode:
            raise GitError(
                f"git {' '.join(args)} failed:\n{done.stderr.decode(errors='replace').strip()}"
            )
        return done.stdout

    def text(self, *args: str) -> str:
        return self.run(*args).decode().strip()

    def rev(self, ref: str) -> str | None:
        found = self.run("rev-parse", "-q", "--verify", ref, check=False).decode().strip()
        return found or None

    def entries(self, tree: str) -> dict[str, Entry]:
        """path -> (mode, blob) of every file of `tree`."""
        found: dict[str, Entry] = {}
        for record in self.run("ls-tree", "-r", "-z", tree).split(b"\0"):
            if record:
                meta, path = record.split(b"\t", 1)
                mode, _kind, blob = meta.decode().split()
                found[path.decode()] = (mode, blob)
        return found

    def blob(self, blob: str) -> bytes:
        return self.run("cat-file", "blob", blob)

    def blobs(self, ids: list[str]) -> dict[str, bytes]:
        """Several blobs, read with one `git cat-file --batch`."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch", input="".join(f"{b}\n" for b in wanted).encode())
        found: dict[str, bytes] = {}
        position = 0
        for blob in wanted:
            header_end = out.index(b"\n", position)
            size = int(out[position:header_end].split()[2])
            found[blob] = out[header_end + 1 : header_end + 1 + size]
            position = header_end + 1 + size + 1
        return found

    def hash_blob(self, data: bytes) -> str:
        return self.run("hash-object", "-w", "--stdin", input=data).decode().strip()

    def worktree_tree(self) -> str:
        """The working tree as it is now (tracked and untracked files, not ignored ones)."""
        with tempfile.TemporaryDirectory() as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            staged = Git(self.root, env)
            staged.run("add", "-A", ".")
            return staged.text("write-tree")

    @contextmanager
    def index(self, tree: str) -> Iterator["Index"]:
        """A temporary index holding `tree`, to change and write back."""
        with tempfile.TemporaryDirectory() as scratch:
            git = Git(self.root, {"GIT_INDEX_FILE": str(Path(scratch) / "index")})
            git.run("read-tree", tree)
            yield Index(git)


@dataclass(frozen=True)
class Index:
    git: Git

    def entries(self) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        for record in self.git.run("ls-files", "-s", "-z").split(b"\0"):
            if record:
                meta, path = record.split(b"\t", 1)
                mode, blob, _stage = meta.decode().split()
                found[path.decode()] = (mode, blob)
        return found

    def read(self, path: str) -> bytes | None:
        entry = self.entries_of([path]).get(path)
        return None if entry is None else self.git.blob(entry[1])

    def entries_of(self, paths: list[str]) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        listing = self.git.run("ls-files", "-s", "-z", "--", *paths)
        for record in listing.split(b"\0"):
            if record:
                meta, path = record.split(b"\t", 1)
                mode, blob, _stage = meta.decode().split()
                found[path.decode()] = (mode, blob)
        return found

    def apply(self, patch: str, *, reverse: bool = False) -> None:
        args = ["apply", "--cached", "--recount", "--whitespace=nowarn"]
        if reverse:
            args.append("-R")
        self.git.run(*args, "-", input=patch.encode())

    def put(self, path: str, data: bytes, mode: str = "100644") -> None:
        blob = self.git.hash_blob(data)
        self.git.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}")

    def remove(self, *paths: str) -> None:
        if paths:
            listing = "".join(f"{path}\0" for path in paths).encode()
            self.git.run("update-index", "--force-remove", "-z", "--stdin", input=listing)

    def read_many(self, paths: list[str]) -> dict[str, bytes]:
        """The text of each of `paths` that the index holds, read in one go."""
        entries = self.entries_of(paths) if paths else {}
        blobs = self.git.blobs([blob for _mode, blob in entries.values()])
        return {path: blobs[blob] for path, (_mode, blob) in entries.items()}

    def write_tree(self) -> str:
        return self.git.text("write-tree")
