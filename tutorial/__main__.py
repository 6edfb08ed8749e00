"""
The tutorial's checkpoints, derived from this tree.

    python -m tutorial check     # replay every page; compare with the lock
    python -m tutorial lock      # write tutorial/checkpoints.lock anew
    python -m tutorial build     # branches cp0..cpN (make checkpoints)
    python -m tutorial verify    # build, then test every checkpoint (CI; --full: every test)
    python -m tutorial draft N --base A --target B   # a page's steps, from two trees

Only the standard library is used: it runs before any virtual environment exists.
"""

import argparse
import sys
from pathlib import Path

from tutorial.book import LOCK, ROOT
from tutorial.checkpoints import (
    TutorialError,
    book_at,
    derive,
    format_lock,
    lock_differences,
    lock_of,
    read_lock,
)
from tutorial.gitdb import Git, GitError
from tutorial.replay import check_part


def source_tree(git: Git, source: str | None) -> str:
    if source is None:
        return git.worktree_tree()
    found = git.rev(f"{source}^{{tree}}")
    if found is None:
        raise TutorialError(f"{source} names nothing here")
    return found


def check(git: Git, tree: str) -> list[str]:
    """Every problem of the pages and the lock, for the files of `tree`."""
    try:
        derived = derive(git, tree)
    except TutorialError as error:
        return [str(error)]
    problems = []
    for part in derived.book.parts[1 : derived.source + 1]:
        problems.extend(check_part(git, derived, part, tree))
    differences = lock_differences(derived, read_lock(git, tree))
    if differences:
        problems.append(lock_advice(derived.source, differences))
    return problems


def lock_advice(source: int, differences: list[str]) -> str:
    shown = "\n".join(f"  {line}" for line in differences[:40])
    more = f"\n  ... and {len(differences) - 40} more" if len(differences) > 40 else ""
    return (
        "The checkpoints derived from this tree differ from tutorial/checkpoints.lock:\n"
        f"{shown}{more}\n"
        "A change to main reaches back into the earlier checkpoints above: the first part "
        "named is the one that brought that file. If the change is a new step, show it on "
        f"the page of the part that makes it (the last is part {source}) and it stays out of "
        "the earlier checkpoints. If those checkpoints should have it too, check the pages of "
        "the parts named still read true, then `python -m tutorial lock`."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutorial", description=__doc__)
    parser.add_argument(
        "command", choices=["check", "lock", "build", "verify", "draft"], help="what to do"
    )
    parser.add_argument("part", nargs="?", type=int, help="draft: the part's number")
    parser.add_argument("--source", help="a commit to derive from (default: the working tree)")
    parser.add_argument("--only", nargs="*", help="verify: only these checkpoints")
    parser.add_argument(
        "--full", action="store_true", help="verify: with the long system tests (tutorial.verify)"
    )
    parser.add_argument("--base", help="draft: the tree the part starts from")
    parser.add_argument(
        "--target", help="draft: the tree the part ends at (`worktree`: the working tree)"
    )
    parser.add_argument("--repo", type=Path, default=ROOT, help="draft: where those trees are")
    parser.add_argument("--write", action="store_true", help="draft: write the part's patch")
    args = parser.parse_args(argv)
    git = Git(ROOT)
    try:
        if args.command == "check":
            problems = check(git, source_tree(git, args.source))
            for problem in problems:
                print(problem, file=sys.stderr)
            if not problems:
                print("Every page replays onto its checkpoint, and the lock holds.")
            return 1 if problems else 0
        if args.command == "lock":
            tree = source_tree(git, args.source)
            book = book_at(git, tree)
            derived = derive(git, tree, book=book, source=book.last.number)
            LOCK.write_text(format_lock(lock_of(derived)))
            print(f"Wrote {LOCK.relative_to(ROOT)}: cp0..{book.parts[-2].branch} and main")
            return 0
        if args.command == "build":
            from tutorial.branches import build

            for branch, commit in build(git, args.source or "HEAD").items():
                print(f"{branch}  {commit[:12]}")
            print("Check one out with: git checkout cp0")
            return 0
        if args.command == "verify":
            from tutorial.verify import verify

            verify(git, args.source or "HEAD", args.only, args.full)
            return 0
        from tutorial.draft import draft

        if args.part is None or args.base is None or args.target is None:
            parser.error("draft needs a part number, --base and --target")
        drafting = Git(args.repo)
        target = drafting.worktree_tree() if args.target == "worktree" else args.target
        print(draft(drafting, args.part, args.base, target, write=args.write))
        return 0
    except (TutorialError, GitError) as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
