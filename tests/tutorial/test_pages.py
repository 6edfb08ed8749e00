"""What a page tells the reader to do, as tutorial.pages reads it."""

import pytest

from tutorial.commands import (
    Checkout,
    CommandError,
    Folders,
    Harmless,
    Remove,
    Switch,
    Touch,
    effect,
)
from tutorial.pages import Change, Command, NewFile, PageError, Quote, read_page

PAGE = """\
# A part

Create `chat/routing.py`:

```python file=chat/routing.py
router = []
```

Then, in `config/routing.py`:

```diff file=config/routing.py
@@ -1,2 +1,3 @@
 a
+b
 c
```

```console
$ git checkout cp2 -- templates/chat \\
    static/js/chat.js
$ make run
==> Open http://127.0.0.1:8000/chat/
```

```python from=chat/consumers.py
class ChatConsumer:
```

```json
{"action": "ping"}
```

```{toctree}
other
```
"""


def test_a_page_is_read_as_its_steps_in_order_and_its_quotes() -> None:
    page = read_page(PAGE)

    new_file, change, checkout, run = page.steps
    assert new_file == NewFile("chat/routing.py", "router = []\n", 5)
    assert isinstance(change, Change)
    assert (change.path, change.hunks, change.line) == (
        "config/routing.py",
        "@@ -1,2 +1,3 @@\n a\n+b\n c\n",
        11,
    )
    assert checkout == Command(
        ("git", "checkout", "cp2", "--", "templates/chat", "static/js/chat.js"),
        "git checkout cp2 -- templates/chat static/js/chat.js",
        19,
    )
    assert isinstance(run, Command)
    assert run.words == ("make", "run")
    assert page.quotes == (Quote("chat/consumers.py", "class ChatConsumer:\n", 25),)


def test_a_diff_block_is_applied_under_the_headers_git_expects() -> None:
    (change,) = read_page("```diff file=a.py\n@@ -1 +1 @@\n-x\n+y\n```\n").steps

    assert isinstance(change, Change)
    assert change.as_patch().startswith("diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("```python file=a.py\nx = 1\n", "never closed"),
        ("```diff file=a.py\n-x\n+y\n```\n", "starts with its first @@ line"),
        ("```console\n$ echo 'unterminated\n```\n", "No closing quotation"),
        ("```console\n$ make \\\n```\n", "ends with a backslash"),
    ],
)
def test_a_page_that_cannot_be_read_as_steps_says_where(text: str, problem: str) -> None:
    with pytest.raises(PageError, match=problem) as raised:
        read_page(text, "docs/tutorial/99-x.md")

    assert "docs/tutorial/99-x.md:" in str(raised.value)


def command(text: str) -> Command:
    (found,) = read_page(f"```console\n$ {text}\n```\n").steps
    assert isinstance(found, Command)
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "git checkout cp3 -- static/js/assistants.js",
            Checkout("cp3", ("static/js/assistants.js",)),
        ),
        ("git rm -q chat/old.py", Remove(("chat/old.py",))),
        ("rm -f chat/old.py", Remove(("chat/old.py",))),
        ("touch chat/__init__.py", Touch(("chat/__init__.py",))),
        ("git checkout cp1", Switch("cp1")),
        ("git checkout -b mine cp1", Switch("cp1")),
        ("make run", Harmless()),
        ("PORT=8001 make run", Harmless()),
        ("mkdir -p chat/management", Folders()),
        (".venv/bin/python manage.py send_notification hi", Harmless()),
        ("git diff cp1 cp2", Harmless()),
    ],
)
def test_each_command_does_to_the_readers_files_what_the_shell_would(
    text: str, expected: object
) -> None:
    assert effect(command(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "python manage.py makemigrations chat",
        "sed -i s/a/b/ chat/models.py",
        "git stash",
        "git checkout cp2 cp3 -- chat",
    ],
)
def test_a_command_whose_effect_on_files_nobody_checked_is_refused(text: str) -> None:
    with pytest.raises(CommandError):
        effect(command(text))
