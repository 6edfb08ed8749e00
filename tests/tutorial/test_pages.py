"""The tutorial's pages show the checkpoints' real code, so the text cannot drift from it."""

import re

import pytest

from tests.tutorial.test_checkpoints import FILES, MANIFEST
from tutorial.checkpoints import ROOT, checkpoint, last_present_step
from tutorial.pages import excerpts, missing_part

# A checkpoint's tree checks the pages of its own steps and of those before.
PRESENT = last_present_step(FILES, MANIFEST)
STEPS = list(enumerate(MANIFEST.steps))[: PRESENT + 1]
SECTIONS = ["## What you build", "## The code", "## Try it", "## Next"]


@pytest.mark.parametrize(("position", "page"), [(n, step.page) for n, step in STEPS])
def test_every_excerpt_is_the_code_of_the_pages_checkpoint(position: int, page: str) -> None:
    tree = checkpoint(FILES, position, MANIFEST)
    shown = excerpts((ROOT / page).read_text())
    assert shown, f"{page} shows no code"

    for excerpt in shown:
        where = f"{page}:{excerpt.line} ({excerpt.path})"
        assert excerpt.path in tree, f"{where}: no such file at this checkpoint"
        missing = missing_part(excerpt, tree[excerpt.path].decode())
        assert missing is None, f"{where}: not in the file:\n" + "\n".join(missing or ())


@pytest.mark.parametrize("page", [step.page for step in MANIFEST.steps])
def test_every_page_says_what_to_build_shows_the_code_and_how_to_try_it(page: str) -> None:
    headings = re.findall(r"^## .*$", (ROOT / page).read_text(), re.MULTILINE)

    assert [h for h in headings if h in SECTIONS] == SECTIONS


def test_the_tutorial_index_and_the_readme_link_every_page() -> None:
    index = (ROOT / "docs/tutorial/README.md").read_text()
    readme = (ROOT / "README.md").read_text()

    for step in MANIFEST.steps:
        assert f"({step.page.removeprefix('docs/tutorial/')})" in index, step.page
    assert "(docs/tutorial/README.md)" in readme


PAGE = """\
Some prose.

```python file=app/models.py
class Room:
    name: str
...
class Message:
```

```sh
make run
```
"""


def test_a_code_block_naming_a_file_is_an_excerpt_and_others_are_not() -> None:
    (excerpt,) = excerpts(PAGE)

    assert excerpt.path == "app/models.py"
    assert excerpt.parts == (("class Room:", "    name: str"), ("class Message:",))
    assert excerpt.line == 3


def test_an_excerpt_matches_when_its_parts_appear_in_order() -> None:
    (excerpt,) = excerpts(PAGE)
    code = "class Room:\n    name: str\n\n\nclass Message:\n    body: str\n"

    assert missing_part(excerpt, code) is None


@pytest.mark.parametrize(
    "code",
    [
        "class Room:\n    name: bytes\n\n\nclass Message:\n",  # a line changed
        "class Message:\n\n\nclass Room:\n    name: str\n",  # parts out of order
    ],
)
def test_an_excerpt_that_no_longer_matches_its_file_is_reported(code: str) -> None:
    (excerpt,) = excerpts(PAGE)

    assert missing_part(excerpt, code) is not None
