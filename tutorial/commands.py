"""
The shell commands a page may give, and which of them change the reader's files.

A command that changes files is a step of the part and is replayed as it
is written; a command that changes no tracked file (running the server,
sending a request) is not. A command this module does not know is an
error: a page cannot tell the reader to run something whose effect on
their files nobody checked.
"""

from dataclasses import dataclass

from tutorial.pages import Command

# Programs that change no file git tracks (their output is ignored or nothing).
HARMLESS = {
    "cat",
    "celery",
    "curl",
    "daphne",
    "docker",
    "docker-compose",
    "echo",
    "export",
    "kill",
    "ls",
    "make",
    "node",
    "npm",
    "open",
    "pip",
    "psql",
    "redis-cli",
    "sqlite3",
    "uvicorn",
    "xdg-open",
}
PYTHONS = {"python", "python3", "python3.11", ".venv/bin/python"}
# manage.py commands that write files into the project.
WRITING = {"makemigrations", "startapp", "startproject", "squashmigrations"}
# git subcommands that only read.
GIT_READS = {"diff", "log", "show", "status", "branch", "fetch", "clone", "tag"}


@dataclass(frozen=True)
class Checkout:
    """`git checkout cpN -- paths`: take these paths as they are in cpN."""

    branch: str
    pathspecs: tuple[str, ...]


@dataclass(frozen=True)
class Remove:
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Touch:
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Switch:
    """`git checkout cpN`: start over from a checkpoint."""

    branch: str


@dataclass(frozen=True)
class Harmless:
    pass


@dataclass(frozen=True)
class Folders(Harmless):
    """`mkdir`: no file git tracks changes, but later commands may need the folders."""


Effect = Checkout | Remove | Touch | Switch | Harmless


class CommandError(ValueError):
    pass


def effect(command: Command) -> Effect:
    """What `command` does to the reader's files; CommandError if that is not known."""
    words = list(command.words)
    while words and "=" in words[0] and not words[0].startswith("-"):
        words.pop(0)  # environment assignments: PORT=8001 make run
    if not words:
        return Harmless()
    program, arguments = words[0], words[1:]
    if program in HARMLESS:
        return Harmless()
    if program in PYTHONS:
        if "manage.py" in arguments and WRITING & set(arguments):
            raise CommandError(
                f"`{command.text}` writes files whose text nobody checks: "
                "give them with `git checkout cpN -- path` instead"
            )
        return Harmless()
    if program == "mkdir":
        return Folders()
    if program == "touch":
        return Touch(tuple(arguments))
    if program == "rm":
        return Remove(tuple(a for a in arguments if not a.startswith("-")))
    if program == "git":
        return git_effect(command, arguments)
    raise CommandError(f"`{command.text}`: the tutorial does not know what `{program}` changes")


def git_effect(command: Command, arguments: list[str]) -> Effect:
    if not arguments:
        raise CommandError(f"`{command.text}`: which git command?")
    sub, rest = arguments[0], arguments[1:]
    if sub in GIT_READS:
        return Harmless()
    if sub == "rm":
        return Remove(tuple(a for a in rest if not a.startswith("-")))
    if sub in {"checkout", "switch"}:
        if "--" in rest:
            split = rest.index("--")
            before, paths = rest[:split], rest[split + 1 :]
            if len(before) != 1 or not paths:
                raise CommandError(f"`{command.text}`: expected `git checkout cpN -- path...`")
            return Checkout(before[0], tuple(paths))
        names = [a for a in rest if not a.startswith("-")]
        if not names:
            raise CommandError(f"`{command.text}`: which checkpoint?")
        return Switch(names[-1])  # git checkout -b mine cp1: start from cp1
    raise CommandError(f"`{command.text}`: the tutorial does not know what `git {sub}` changes")
