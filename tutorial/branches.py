"""`make checkpoints`: a branch cp0..cpN for every checkpoint, derived from one commit."""

from tutorial.checkpoints import TutorialError, derive
from tutorial.gitdb import Git


def checked_out_branches(git: Git) -> set[str]:
    listing = git.text("worktree", "list", "--porcelain")
    return {line.split()[1] for line in listing.splitlines() if line.startswith("branch ")}


def commits(git: Git, source: str) -> dict[str, str]:
    """Branch -> commit of every checkpoint up to the one `source` is, each on the one before.

    Deterministic: the same source gives the same commits, so a rebuild leaves
    branches where they were.
    """
    commit = git.rev(f"{source}^{{commit}}")
    if commit is None:
        raise TutorialError(f"{source} names no commit here")
    derived = derive(git, git.text("rev-parse", f"{commit}^{{tree}}"))
    when = git.text("show", "-s", "--format=%ct", commit) + " +0000"
    author = {
        "GIT_AUTHOR_NAME": "Relay tutorial",
        "GIT_AUTHOR_EMAIL": "tutorial@relay.invalid",
        "GIT_COMMITTER_NAME": "Relay tutorial",
        "GIT_COMMITTER_EMAIL": "tutorial@relay.invalid",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    committer = Git(git.root, author)
    made: dict[str, str] = {}
    parent: list[str] = []
    for part in derived.book.parts[: derived.source + 1]:
        message = (
            f"Tutorial part {part.number}: {part.title}\n\n"
            f"Checkpoint {part.branch}, derived from {commit[:12]} by `make checkpoints`; "
            f"its page is {part.page}.\n"
        )
        made[part.branch] = committer.text(
            "commit-tree", derived.trees[part.number], *parent, "-m", message
        )
        parent = ["-p", made[part.branch]]
    return made


def build(git: Git, source: str = "HEAD") -> dict[str, str]:
    """Create or move the branches; a branch checked out somewhere is left alone (and said so)."""
    busy = checked_out_branches(git)
    built: dict[str, str] = {}
    for branch, commit in commits(git, source).items():
        ref = f"refs/heads/{branch}"
        if ref in busy and git.rev(ref) != commit:
            print(
                f"!!  {branch} is checked out, so it was left as it is; "
                "switch to another branch and run this again to refresh it"
            )
            continue
        git.run("update-ref", ref, commit)
        built[branch] = commit
    return built
