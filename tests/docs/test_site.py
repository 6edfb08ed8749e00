"""The documentation site (docs/conf.py, make docs): it builds without a warning, and breaks loudly.

Every build here goes to a temporary folder with the options of `make docs`; the
failing ones build a copy of README.md and docs/ with one fault written into a page.
"""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
DOCS = BASE_DIR / "docs"
BUILD = ["-W", "--keep-going", "-n", "-E", "-q", "-b", "html"]
# The page the faults are written into, and where: after its last line.
PAGE = "guide/testing.md"


@dataclass(frozen=True)
class Site:
    result: subprocess.CompletedProcess[str]
    html: Path

    def page(self, name: str) -> str:
        return (self.html / name).read_text()


def build(source: Path, out: Path) -> Site:
    html = out / "html"
    command = [sys.executable, "-m", "sphinx", *BUILD, "-d", str(out / "doctrees")]
    result = subprocess.run(
        [*command, str(source), str(html)], capture_output=True, text=True, timeout=120
    )
    return Site(result, html)


def copy_of_the_docs(root: Path) -> Path:
    """README.md and docs/ (without a build) under root, as they sit in the repository."""
    root.mkdir()
    shutil.copy(BASE_DIR / "README.md", root / "README.md")
    shutil.copytree(DOCS, root / "docs", ignore=shutil.ignore_patterns("_build", "__pycache__"))
    return root / "docs"


def append(path: Path, text: str) -> int:
    """Add a paragraph to a Markdown file; the number of its first line."""
    before = path.read_text()
    path.write_text(f"{before.rstrip()}\n\n{text}\n")
    return before.rstrip().count("\n") + 3


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build(DOCS, tmp_path_factory.mktemp("site"))


def test_the_site_builds_without_a_warning(site: Site) -> None:
    assert (site.result.returncode, site.result.stderr) == (0, "")


def test_every_page_of_the_docs_is_in_the_site(site: Site) -> None:
    pages = [p.relative_to(DOCS) for p in DOCS.rglob("*.md") if "_build" not in p.parts]
    assert len(pages) > 10

    missing = [str(p) for p in pages if not (site.html / p.with_suffix(".html")).is_file()]

    assert missing == []


def test_every_page_is_in_the_navigation(site: Site) -> None:
    front = site.page("index.html")
    pages = sorted(p.relative_to(DOCS) for p in DOCS.glob("*/*.md"))

    unlinked = [str(p) for p in pages if f'href="{p.with_suffix(".html")}"' not in front]

    assert unlinked == []


def test_the_front_page_is_the_readme_with_its_links_made_relative_to_docs(site: Site) -> None:
    front = site.page("index.html")

    assert "<h1>Relay" in front
    assert 'href="tutorial/README.html"' in front  # docs/tutorial/README.md in the README


def opening_fences(markdown: str) -> list[str]:
    """The language of each top-level code fence: a file shown whole may hold fences of its own."""
    languages, open_fence = [], ""
    for line in markdown.splitlines():
        fence = re.match(r" *(`{3,})(\w*)", line)
        if fence is None:
            continue
        if not open_fence:
            open_fence = fence[1]
            if fence[2]:
                languages.append(fence[2])
        elif fence[1].startswith(open_fence) and not fence[2]:
            open_fence = ""
    return languages


def test_every_code_fence_is_highlighted_as_its_language_even_with_a_file_after_it(
    site: Site,
) -> None:
    for page in sorted((DOCS / "tutorial").glob("*.md")):
        fences = opening_fences(page.read_text())
        built = site.page(f"tutorial/{page.stem}.html")

        assert re.findall(r'class="highlight-(\w+) notranslate"', built) == fences, page.name
    # The words after the language do not show up or hide the highlighting.
    chat = site.page("tutorial/02-chat.html")
    assert "file=" not in chat
    assert '<span class="k">async</span>' in chat


def test_a_tutorial_block_naming_its_file_shows_the_name_as_its_caption(site: Site) -> None:
    chat = site.page("tutorial/02-chat.html")

    assert '<span class="caption-text">chat/consumers.py (new file)</span>' in chat
    assert '<span class="caption-text">config/routing.py (changes)</span>' in chat


def test_the_site_loads_nothing_from_another_host(site: Site) -> None:
    for page in site.html.rglob("*.html"):
        text = page.read_text()
        loaded = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?://|https?:)', text)

        assert loaded == [], page


@pytest.mark.parametrize(
    ("fault", "reported"),
    [
        ("[a page](no-such-page.md)", "'no-such-page.md'"),
        ("[a heading](consumers.md#no-such-heading)", "'no-such-heading'"),
        ("[a heading here](#no-such-heading)", "'no-such-heading'"),
        ("![a picture](no-such-picture.png)", "image file not readable"),
        ("[a file](../../chat/no_such_file.py)", "'../../chat/no_such_file.py'"),
        ("[a folder](../../chat/)", "'../../chat/'"),
        ("[outside](../../../outside.txt)", "link to a file outside the repository"),
    ],
    ids=["page", "anchor", "local-anchor", "image", "file", "folder", "outside"],
)
def test_a_broken_link_or_a_missing_image_fails_the_build(
    tmp_path: Path, fault: str, reported: str
) -> None:
    docs = copy_of_the_docs(tmp_path / "repository")
    (tmp_path / "repository" / "chat").mkdir()  # a folder that is there is no file either
    (tmp_path / "outside.txt").write_text("not in the repository\n")
    line = append(docs / PAGE, f"See {fault}.")

    site = build(docs, tmp_path / "out")

    assert site.result.returncode != 0
    warnings = site.result.stderr.splitlines()
    assert len(warnings) == 1, site.result.stderr
    assert f"{PAGE}:{line}: WARNING:" in warnings[0]
    assert reported in warnings[0]


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A copy of the docs whose pages link to headings and to repository files."""
    tmp_path = tmp_path_factory.mktemp("linked")
    root = tmp_path / "repository"
    docs = copy_of_the_docs(root)
    (root / "chat").mkdir()
    (root / "chat" / "consumers.py").write_text("async def receive(text: str) -> None: ...\n")
    (root / "manage.py").write_text("import sys\n")
    append(docs / PAGE, "Read [the consumers](../../chat/consumers.py).")
    append(docs / PAGE, "See [thin](consumers.md#keep-consumers-thin), [here](#consumer-tests).")
    append(root / "README.md", "Or [manage.py](manage.py), from the README.")
    # On a tutorial checkpoint: a file of the finished project that is not here yet.
    (root / "tutorial").mkdir()
    (root / "tutorial" / "checkpoints.lock").write_text("[main]\ncore/later.py\nmanage.py\n")
    append(docs / PAGE, "Later comes [core/later.py](../../core/later.py).")
    return build(docs, tmp_path / "out")


def test_a_link_to_a_heading_leads_to_its_anchor(linked: Site) -> None:
    assert (linked.result.returncode, linked.result.stderr) == (0, "")
    page = linked.page("guide/testing.html")

    assert 'href="consumers.html#keep-consumers-thin"' in page
    assert 'href="#consumer-tests"' in page
    assert 'id="keep-consumers-thin"' in linked.page("guide/consumers.html")


def test_a_link_to_a_repository_file_leads_to_a_page_showing_it(linked: Site) -> None:
    assert (linked.result.returncode, linked.result.stderr) == (0, "")

    assert 'href="../_source/chat/consumers.py.html"' in linked.page("guide/testing.html")
    assert 'href="_source/manage.py.html"' in linked.page("index.html")
    shown = linked.page("_source/chat/consumers.py.html")
    assert "<code>chat/consumers.py</code>" in shown
    assert '<span class="k">async</span>' in shown
    assert '<span class="linenos">1</span>' in shown  # numbered in line, as Furo aligns them
    assert not (linked.html / "_downloads").exists()


def test_a_file_the_finished_project_has_and_this_checkout_lacks_is_named_not_linked(
    linked: Site,
) -> None:
    assert (linked.result.returncode, linked.result.stderr) == (0, "")

    page = linked.page("guide/testing.html")
    assert re.search(r'<code class="[^"]*later[^"]*"[^>]*>.*core/later\.py', page, re.DOTALL)
    assert "_source/core/later.py" not in page


def test_make_docs_builds_with_the_options_checked_here() -> None:
    recipe = re.search(r"^docs:\n(?:\t.*\n)+", (BASE_DIR / "Makefile").read_text(), re.MULTILINE)
    assert recipe is not None

    command = next(line for line in recipe.group().splitlines() if "-m sphinx" in line)

    assert command.split()[3 : 3 + len(BUILD)] == BUILD
