"""
Sphinx configuration: README.md and the Markdown under docs/ as a static site.

Build it with `make docs` (HTML in docs/_build/html); tests/docs checks that it
builds without a single warning. The pages stay plain Markdown that reads well
on a code host: MyST-Parser reads them, and the Furo theme, which bundles its
fonts and scripts, lays them out, so the site works offline.

How links are checked, since any warning fails the build:

- A link to another page (`[Part 2](2-chat.md)`, `../guide/testing.md#anchor`)
  becomes a page link. Headings get anchors (`myst_heading_anchors`), and a
  missing page or anchor is a warning.
- A link to a file of the repository that is not a page
  (`[chat/consumers.py](../../chat/consumers.py)`) becomes a link to a page of
  the site that shows the file, highlighted, under `_source/` (the site is
  self-contained: no code host or network is assumed). A link to a file that
  does not exist, to a folder, or outside the repository is a warning. A binary
  file stays a download.
- A missing image is a warning.
- A link to a file that is not in this checkout, but is in the finished
  project (tutorial/checkpoints.lock lists its files under [main]), is shown
  as the file's name without a link: on a tutorial checkpoint, the README and
  the guides describe files that later parts add.
- In the tutorial's pages, a code block naming its file (```` ```python
  file=chat/routing.py ````, see tutorial/pages.py) gets the file's name as
  its caption.
- The README is brought into index.md with MyST's include directive, whose
  options make its `docs/...` links and its images relative to docs/; its other
  links are resolved from the repository root, as on a code host.
"""

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

from docutils import nodes
from pygments.lexers import get_lexer_for_filename, guess_lexer
from pygments.util import ClassNotFound
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

DOCS = Path(__file__).resolve().parent
REPOSITORY = DOCS.parent
# The pages that show repository files, by path: _source/chat/consumers.py.html.
SOURCE_PAGES = "_source"

project = "Relay"
author = "The Relay authors"
copyright = "the Relay authors"
root_doc = "index"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
nitpicky = True

myst_heading_anchors = 6
# A fence with no language is shown as it is, not guessed as Python.
highlight_language = "text"

html_theme = "furo"
html_title = "Relay"
html_show_sourcelink = False

logger = logging.getLogger(__name__)
SOURCE_FILES = "relay_source_files"  # the env attribute: docname -> repository paths


def repository_path(path: Path) -> str | None:
    """The path relative to the repository, or None outside it."""
    try:
        return path.resolve().relative_to(REPOSITORY).as_posix()
    except ValueError:
        return None


def is_text(path: Path) -> bool:
    try:
        path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    return True


def source_link(node: nodes.Element, path: str) -> nodes.reference:
    """A reference to the page showing a repository file, its URI set once resolved."""
    link = nodes.reference("", "", *node.children, internal=True, classes=["repository-file"])
    link["relay_source"] = path
    link.source, link.line = node.source, node.line
    return link


@cache
def later_files() -> frozenset[str]:
    """The finished project's files, as tutorial/checkpoints.lock lists them under [main]."""
    lock = REPOSITORY / "tutorial" / "checkpoints.lock"
    if not lock.is_file():
        return frozenset()
    _, found, section = lock.read_text(encoding="utf-8").partition("[main]\n")
    section = section.split("\n[", 1)[0] if found else ""
    return frozenset(line for line in section.splitlines() if line and not line.startswith("#"))


def file_name(node: nodes.Element, path: str) -> nodes.literal:
    """A file of the finished project, named without a link: this checkout lacks it."""
    name = nodes.literal("", path, classes=["repository-file", "later"])
    name.source, name.line = node.source, node.line
    return name


def link_repository_files(app: Sphinx, doctree: nodes.document) -> None:
    """Turn links to repository files that are not pages into links to their source pages.

    Runs before Sphinx collects downloads, so a text file is not copied as one.
    """
    env = app.env
    docname = env.current_document.docname
    found: set[str] = set()
    for download in list(doctree.findall(addnodes.download_reference)):
        target = download["reftarget"]
        if "://" in target:
            continue
        absolute = Path(env.relfn2path(target, docname)[1])
        path = repository_path(absolute)
        if path is None:
            logger.warning("link to a file outside the repository: %s", target, location=download)
            download.replace_self(nodes.inline("", "", *download.children))
        elif is_text(absolute):
            download.replace_self(source_link(download, path))
            found.add(path)
    # A link that MyST could not resolve from the page: it may have been written
    # in an included file (the README), relative to that file.
    for xref in list(doctree.findall(addnodes.pending_xref)):
        if xref.get("refdomain") or xref.get("reftype") != "myst" or not xref.source:
            continue
        target = xref["reftarget"].split("#", 1)[0]
        absolute = (Path(xref.source).parent / target).resolve()
        path = repository_path(absolute)
        is_page = env.path2doc(str(absolute)) is not None
        if target and path is not None and absolute.is_file() and is_text(absolute) and not is_page:
            xref.replace_self(source_link(xref, path))
            found.add(path)
        elif target and path is not None and not absolute.exists() and path in later_files():
            xref.replace_self(file_name(xref, path))
    for path in found:
        env.note_dependency(str(REPOSITORY / path))
    if found:
        getattr(env, SOURCE_FILES, {})[docname] = found


def resolve_source_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for link in doctree.findall(nodes.reference):
        if "relay_source" in link:
            page = f"{SOURCE_PAGES}/{link['relay_source']}"
            link["refuri"] = app.builder.get_relative_uri(docname, page)


def lexer_name(path: Path, code: str) -> str:
    try:
        return str(get_lexer_for_filename(path.name, code).aliases[0])
    except ClassNotFound:
        pass
    if code.startswith("#!"):
        return str(guess_lexer(code).aliases[0])
    return "text"


def source_pages(app: Sphinx) -> Any:
    """One page per linked repository file: its path and its highlighted text."""
    if app.builder.format != "html":
        return
    paths = sorted(set().union(*getattr(app.env, SOURCE_FILES, {}).values()))
    for path in paths:
        file = REPOSITORY / path
        code = file.read_text(encoding="utf-8")
        highlighted = app.builder.highlighter.highlight_block(  # type: ignore[attr-defined]
            code, lexer_name(file, code), force=True, linenos="inline"
        )
        title = html.escape(path)
        body = f"<h1><code>{title}</code></h1>\n{highlighted}"
        yield f"{SOURCE_PAGES}/{path}", {"title": path, "body": body}, "page.html"


def init_env(app: Sphinx, env: BuildEnvironment, docnames: set[str]) -> None:
    if not hasattr(env, SOURCE_FILES):
        setattr(env, SOURCE_FILES, {})


def purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, SOURCE_FILES, {}).pop(docname, None)


def merge_info(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    mine = getattr(env, SOURCE_FILES, {})
    for docname in docnames:
        if docname in getattr(other, SOURCE_FILES, {}):
            mine[docname] = getattr(other, SOURCE_FILES)[docname]
    setattr(env, SOURCE_FILES, mine)


# A fence naming its file: ```python file=chat/routing.py (see tutorial/pages.py).
NAMED_FENCE = re.compile(
    r"^(?P<fence>`{3,})(?P<language>[\w+-]*)[ \t]+(?P<key>file|from)=(?P<path>\S+)[^\n]*$",
    re.MULTILINE,
)


def caption_named_fences(app: Sphinx, docname: str, source: list[str]) -> None:
    """A tutorial page's code block that names its file shows the name as its caption."""
    if not docname.startswith("tutorial/"):
        return

    def directive(match: re.Match[str]) -> str:
        language, path = match["language"] or "text", match["path"]
        if match["key"] == "from":
            caption = f"from {path}"
        elif language == "diff":
            caption = f"{path} (changes)"
        else:
            caption = f"{path} (new file)"
        return f"{match['fence']}{{code-block}} {language}\n:caption: {caption}"

    source[0] = NAMED_FENCE.sub(directive, source[0])


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("source-read", caption_named_fences)
    app.connect("env-before-read-docs", init_env)
    app.connect("env-purge-doc", purge_doc)
    app.connect("env-merge-info", merge_info)
    # Before Sphinx's own collectors (priority 500) see the download links.
    app.connect("doctree-read", link_repository_files, priority=100)
    app.connect("doctree-resolved", resolve_source_links)
    app.connect("html-collect-pages", source_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
