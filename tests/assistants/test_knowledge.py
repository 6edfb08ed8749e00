"""The documentation index the offline assistant answers from."""

from assistants.backends.docs import NOTHING_FOUND, compose, excerpt
from assistants.knowledge import Section, documents, search, split_sections


def test_markdown_is_cut_into_sections_titled_by_their_heading_path() -> None:
    text = "# Guide\nintro\n## Part\nbody\n```python\n# not a heading\n```\n### Detail\nmore\n"

    sections = split_sections(text, "guide.md")

    assert [(s.title, s.text) for s in sections] == [
        ("Guide", "intro"),
        ("Guide > Part", "body\n```python\n# not a heading\n```"),
        ("Guide > Part > Detail", "more"),
    ]


def test_the_readme_and_the_guides_are_indexed_but_not_folder_tables_of_contents() -> None:
    names = {path.as_posix().split("/main/")[-1] for path in documents()}

    assert "README.md" in {path.name for path in documents()}
    assert any(name.endswith("docs/guide/groups.md") for name in names)
    assert not any(name.endswith("docs/guide/README.md") for name in names)


def test_a_how_to_question_finds_the_section_that_answers_it_first() -> None:
    best = search("How do I broadcast to a group?")[0]

    assert best.title == "Groups and broadcasting > How do I broadcast to a group?"
    assert best.source == "docs/guide/groups.md"


def test_a_question_sharing_one_stray_word_with_the_docs_finds_nothing() -> None:
    assert search("What is the meaning of life?") == []


def test_an_answer_names_its_sections_and_quotes_the_best_one() -> None:
    sections = [
        Section("A > How", "a.md", "Use `group_send`."),
        Section("B > Also", "b.md", "Name groups once."),
    ]

    answer = compose(sections)

    assert answer.startswith("From **A > How** (`a.md`):\n\nUse `group_send`.")
    assert "See also **B > Also** (`b.md`)" in answer
    assert compose([]) == NOTHING_FOUND


def test_a_long_excerpt_is_cut_between_paragraphs_and_never_leaves_a_code_block_open() -> None:
    text = "intro\n\n```python\n" + "x = 1\n\n" * 400 + "```\n\nlast"

    cut = excerpt(text, limit=100)

    assert cut.startswith("intro\n\n```python\nx = 1")
    assert cut.endswith("\n```")
    assert cut.count("```") == 2
