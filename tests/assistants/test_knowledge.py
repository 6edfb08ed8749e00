"""The documentation index the offline assistant answers from, and how it answers."""

import pytest

from assistants.backends.docs import NOTHING_FOUND, compose
from assistants.knowledge import (
    Passage,
    Section,
    documents,
    knowledge_index,
    search,
    split_passages,
    split_sections,
    split_units,
    trim,
)
from bench.answer_quality import measure

# bench.answer_quality's figures when the ranking was last changed (90% and 98%),
# less a margin: a change to the ranking or the documentation that costs more fails here.
TOP1_AT_LEAST = 0.85
TOP3_AT_LEAST = 0.93


def test_markdown_is_cut_into_sections_titled_by_their_heading_path() -> None:
    text = "# Guide\nintro\n## Part\nbody\n```python\n# not a heading\n```\n### Detail\nmore\n"

    sections = split_sections(text, "guide.md")

    assert [(s.title, s.text) for s in sections] == [
        ("Guide", "intro"),
        ("Guide > Part", "body\n```python\n# not a heading\n```"),
        ("Guide > Part > Detail", "more"),
    ]


def test_a_section_is_cut_into_paragraphs_list_items_and_tables_each_with_its_code() -> None:
    text = (
        "Intro line one\nline two.\n\n```python\ncode()\n\nmore()\n```\n\n"
        "- first item\n  continued\n- second item\n\n| a | b |\n| - | - |\n| 1 | 2 |"
    )

    assert split_passages(text) == [
        "Intro line one\nline two.\n\n```python\ncode()\n\nmore()\n```",
        "- first item\n  continued",
        "- second item",
        "| a | b |\n| - | - |\n| 1 | 2 |",
    ]


def test_the_readme_and_the_guides_are_indexed_but_not_folder_tables_of_contents() -> None:
    names = {path.as_posix().split("/main/")[-1] for path in documents()}

    assert "README.md" in {path.name for path in documents()}
    assert any(name.endswith("docs/guide/groups.md") for name in names)
    assert not any(name.endswith("docs/guide/README.md") for name in names)


def test_sections_that_only_point_elsewhere_are_not_indexed() -> None:
    titles = [s.title for s in knowledge_index().sections]

    assert titles, "the documentation is indexed"
    assert not [t for t in titles if t.endswith(" > Next")]


def test_the_question_set_finds_the_right_section_first_as_often_as_measured() -> None:
    report = measure()

    assert len(report.scored) >= 20
    assert report.top1 >= TOP1_AT_LEAST, "\n".join(report.lines())
    assert report.top3 >= TOP3_AT_LEAST, "\n".join(report.lines())
    assert report.off_topic_silent == report.off_topic


def test_how_to_authenticate_websockets_is_answered_by_the_authentication_guide() -> None:
    best = search("how do I authenticate WebSockets")[0]

    assert best.source == "docs/guide/authentication.md"
    assert best.heading in {"How a connection is admitted", "Sessions and tokens"}


def test_a_how_to_question_finds_the_section_that_answers_it_first() -> None:
    best = search("How do I broadcast to a group?")[0]

    assert best.title == "Groups and broadcasting > How do I broadcast to a group?"
    assert best.source == "docs/guide/groups.md"


def test_a_question_sharing_only_common_words_with_the_docs_finds_nothing() -> None:
    assert search("What is the meaning of life?") == []
    assert search("Can you write me a poem about the sea?") == []


@pytest.mark.parametrize(
    ("question", "prose", "code"),
    [
        ("How do I broadcast to a group?", "`group_send` an event", "channel_layer.group_send("),
        ("How do I test a consumer?", "`WebsocketTestCase` connects", "class TestChat("),
    ],
)
def test_an_answer_quotes_the_passage_that_answers_and_the_code_that_goes_with_it(
    question: str, prose: str, code: str
) -> None:
    answer = compose(search(question)).text

    assert prose in answer
    assert code in answer
    assert answer.count("```") % 2 == 0


def test_an_answer_leaves_out_the_passages_of_its_section_that_do_not_answer() -> None:
    answer = compose(search("How many messages can a client send before it is rate limited?"))

    assert answer.shown[0].title == "Relay > Hardening"
    assert "**Rate limits.**" in answer.text
    assert "**Frame size.**" not in answer.text
    assert "**Keepalive.**" not in answer.text


def test_the_sources_of_an_answer_are_exactly_the_sections_it_shows() -> None:
    for question in [
        "How do I broadcast to a group?",
        "how do I authenticate WebSockets",
        "How do I test a consumer?",
        "What does close code 4403 mean?",
    ]:
        answer = compose(search(question))
        headers = [line for line in answer.text.splitlines() if line.endswith("`):")]

        assert headers == [
            f"{'From' if n == 0 else 'See also'} **{s.title}** (`{s.source}`):"
            for n, s in enumerate(answer.shown)
        ], question


def test_another_section_is_shown_only_when_it_answers_nearly_as_well() -> None:
    def found(title: str, score: float) -> Section:
        return Section(title, "a.md", "x", score, (Passage(f"About {title}.", score, 0),))

    answer = compose([found("Best", 10.0), found("Close", 8.0), found("Far", 2.0)])

    assert answer.text.startswith("From **Best** (`a.md`):\n\nAbout Best.")
    assert [s.title for s in answer.shown] == ["Best", "Close"]
    assert "Far" not in answer.text


def test_nothing_found_is_said_plainly_and_shows_no_section() -> None:
    answer = compose([])

    assert (answer.text, answer.shown) == (NOTHING_FOUND, [])


def test_a_long_table_is_trimmed_to_its_header_and_the_rows_that_match() -> None:
    header = "| Variable | Meaning |\n| --- | --- |\n"
    units = split_units(header + "| `A` | a |\n| `B` | b |\n| `C` | c |")

    assert trim(units, matching={3}) == header + "| `B` | b |"


def test_long_prose_keeps_its_first_sentence_and_those_that_match_and_marks_the_gaps() -> None:
    units = split_units("First one. Second one. Third one. Fourth one.\n\n```sh\nrun\n```")

    assert trim(units, matching={2}) == "First one. … Third one. …\n\n```sh\nrun\n```"
