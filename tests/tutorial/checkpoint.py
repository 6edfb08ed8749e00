"""Which checkpoint this working tree is, for the tutorial's tests."""

from pathlib import Path

from tutorial.book import Book
from tutorial.checkpoints import locked_checkpoint, own_files, read_lock
from tutorial.gitdb import Git

ROOT = Path(__file__).resolve().parents[2]
GIT = Git(ROOT)
BOOK = Book.load()
TREE = GIT.worktree_tree()
# The checkpoint this tree is (main is the last): on an earlier one, the parts
# after it are not here to check.
HERE = locked_checkpoint(BOOK, own_files(BOOK, GIT.entries(TREE)), read_lock(GIT, TREE))
