import pytest

from qa_bot.chunking import (
    LIST_GROWTH,
    as_item,
    chunk_document,
    introduces,
    list_items,
    one_line,
    split_sentences,
)
from qa_bot.loaders import PAGE_SEPARATOR, LoadedDocument, PageSpan


def _doc(text: str, pages: tuple[PageSpan, ...] = ()) -> LoadedDocument:
    return LoadedDocument(source="/x.txt", title="x", text=text, content_hash="h", pages=pages)


def test_sentences_respect_abbreviations_and_initials() -> None:
    text = "Dr. Smith met J. R. R. Tolkien in the U.S. in 1950. They talked. Then? Yes!"
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == [
        "Dr. Smith met J. R. R. Tolkien in the U.S. in 1950.",
        "They talked.",
        "Then?",
        "Yes!",
    ]
    # A phone extension, as in a contacts table.
    text = "Payroll | payroll@example.com | ext. 4250 | Tue 10:00-16:00"
    assert [text[s.start : s.end] for s in split_sentences(text)] == [text]
    text = "Call tel. 555 0100."
    assert [text[s.start : s.end] for s in split_sentences(text)] == [text]
    text = "She holds an M.Sc. in Computer Science and a Ph.D. from TU Munich. Attn. Mr Lee."
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "She holds an M.Sc. in Computer Science and a Ph.D. from TU Munich.",
        "Attn. Mr Lee.",
    ]
    # After a figure, "ms" is a unit, which may end a sentence; a letter is not.
    text = "Ms. Lee timed it at 200 ms. At 46 E. Main St. it took 6 p.m. Eastern. It is incl. VAT."
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "Ms. Lee timed it at 200 ms.",
        "At 46 E. Main St. it took 6 p.m. Eastern.",
        "It is incl. VAT.",
    ]
    # A table's row keeps "excl." with its cell; its sentences are sentences (an answer quotes
    # the row whole: answering.whole_row).
    text = "Item: Onboarding | Fee (GBP, excl. VAT): 4,000 | Notes: Once. Paid upfront."
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "Item: Onboarding | Fee (GBP, excl. VAT): 4,000 | Notes: Once.",
        "Paid upfront.",
    ]


def test_line_breaks_end_sentences_and_offsets_are_absolute() -> None:
    text = "A heading\n\nFirst sentence here. Second one.\nA list item"
    spans = split_sentences(text, offset=100)
    assert [text[s.start - 100 : s.end - 100] for s in spans] == [
        "A heading",
        "First sentence here.",
        "Second one.",
        "A list item",
    ]


def test_a_list_or_clause_number_opens_its_sentence() -> None:
    text = (
        "1.1. The Buyer is Valley Orchards.\n\niv. Apples arrive by 4 March.\n\n"
        "II. Winter work\n\nIt rose by 4.5. Then it fell."
    )
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "1.1. The Buyer is Valley Orchards.",
        "iv. Apples arrive by 4 March.",
        "II. Winter work",
        "It rose by 4.5.",
        "Then it fell.",
    ]


def test_chunks_end_on_sentence_boundaries_and_keep_offsets() -> None:
    sentence = "This sentence is exactly fifty characters long!!. "
    text = (sentence * 30).strip()
    chunks = chunk_document(_doc(text), chunk_size=200, chunk_overlap=0)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert len(chunk.text) <= 200
        assert chunk.text.endswith(".")
        for span in chunk.sentences:
            assert chunk.text[span.start : span.end].startswith("This")
    # Without overlap the chunks tile the text.
    assert all(b.start > a.end for a, b in zip(chunks, chunks[1:], strict=False))


def test_overlap_repeats_trailing_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    chunks = chunk_document(_doc(text), chunk_size=200, chunk_overlap=60)
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:], strict=False))


def test_long_sentence_is_split_at_words() -> None:
    text = "word " * 300
    chunks = chunk_document(_doc(text.strip()), chunk_size=200, chunk_overlap=0)
    assert all(len(chunk.text) <= 200 for chunk in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def _leads(text: str) -> list[str]:
    return [text[s.start : s.end] for s, lead in zip(*_with_leads(text), strict=True) if lead]


def _with_leads(text: str) -> tuple[list, list[bool]]:
    spans = split_sentences(text)
    return spans, introduces(text, spans)


@pytest.mark.parametrize(
    ("text", "leads"),
    [
        # A title over a section's heading, over its text.
        ("Staff handbook\n\n2. Holidays\n\nYou get 25 days.", ["Staff handbook", "2. Holidays"]),
        # A FAQ: the question heads its answer; so does a question within a paragraph.
        ("What is the battery life?\n\nAbout 12 hours.", ["What is the battery life?"]),
        ("Why so long? The cells are large. It helps.", ["Why so long?"]),
        # A troubleshooting guide's problem heads its solution; a FAQ's "Q:" its "A:".
        (
            "Problem: The kettle will not start.\nSolution: Check the socket.\n"
            "Problem: It is slow. Solution: Descale it.",
            ["Problem: The kettle will not start.", "Problem: It is slow."],
        ),
        ("Q: Can I pay later?\nA: Yes, within 30 days.", ["Q: Can I pay later?"]),
        ("Problem: none. It works.", []),
        # A transcript: a speaker's question is answered, if at all, by whoever speaks next.
        (
            "[00:00:18] BOB: Hi. Are tablets in scope? It was unclear.\n\n"
            "[00:00:26] ALICE: They are not.\n\nALICE: What do you advise?\n\nBOB: Native.",
            [],
        ),
        # A contract's numbered heading over its first clause.
        ("2. Term\n2.1 This Agreement starts on 1 March.", ["2. Term"]),
        # A numbered heading run in with its text, as in minutes.
        ("3. Office move. The office moves on 1 May.", ["3. Office move."]),
        # Nothing follows: nothing is introduced.
        ("The end.\n\nAppendix", []),
        ("Any questions?", []),
        # An email's request, followed by its closing, not by an answer.
        ("Can you send the invite by 4 July?\n\nThanks,\nHannah", []),
        ("I booked it. Can you send the invite?\nBest regards,\nHannah", []),
        # Questions in a row ask; they do not introduce one another.
        ("Who pays? When? Nobody knows.", ["When?"]),
        ("$249.99 Save $80.00 (24%)\n\nSale ends Sunday.", []),  # a price heads nothing
        # Nor do a story's lines of dialogue and its scene breaks.
        ('"Whose is it?"\n\nNobody answered her.', []),
        ("---\n\nThe storm broke at midnight.", []),
        # A FAQ's question line, with what is said before the question.
        (
            "My bin wasn't collected. What should I do?\nCheck the date.",
            ["My bin wasn't collected.", "What should I do?"],
        ),
        # A list's items, after a lead-in or three or more in a row, are not headings; the
        # first of three or more can head the others.
        ("We offer:\n\n25 days holiday\n\na pension\n\nAsk HR.", []),
        ("Ingredients\n\n200 g flour\n\n1 egg\n\nMix them.", ["Ingredients"]),
        ("Ingredients\n200 g flour\n1 egg\n\nMethod\nMix them.", ["Ingredients", "Method"]),
        ("Menu\n\nSoup\n\nBread\n\nCake", ["Menu"]),
        # A table's row, a line that ends as a sentence, a long line, a longer numbered step.
        ("North | 12 t\n\nThe yield fell.", []),
        ("Rates rose.\n\nThe yield fell.", []),
        ("A line of many words that goes on and on past any heading length\n\nYes.", []),
        ("2. Bake the loaf for forty minutes. Then let it cool.", []),
        # A question that a story reports, or an editor's note, is no question of the text's.
        ('He asked, "Are you ready?" She was.', []),
        ("It was banned.[citation needed?] Then it was not.", []),
        # A chemical formula's subscript on a line of its own does not make a heading.
        ("Concentrated O\n2 will burn rapidly. It is a hazard.", []),
        ("Oxygen gas (O\n2) can be toxic. It is a hazard.", []),
        ("The O\n2 molecules are paramagnetic. They bond.", []),
        # A heading over a list.
        ("Notes\n\n- 25 days holiday\n\nAsk HR.", ["Notes"]),
        # A heading heads a code block (its lines between backticks: loaders.markup), and a
        # line of code heads nothing.
        (
            "Installation\n\n`pip install fastcsv`\n\nOn Windows you need a runtime.",
            ["Installation"],
        ),
        # A field's label and value is no heading; a chapter's number and name is.
        (
            "Contact us\n\nPhone: +353 21 477 0000\nEmail: hello@acme.example\n\n"
            "Opening hours\n\nWe open at nine.",
            ["Contact us", "Opening hours"],
        ),
        ("Chapter 3: The Return\n\nIt was dark.", ["Chapter 3: The Return"]),
    ],
)
def test_headings_and_questions_introduce_what_follows(text: str, leads: list[str]) -> None:
    assert _leads(text) == leads


@pytest.mark.parametrize(
    ("text", "items"),
    [
        # A lead-in's list, bulleted or not, ends at the blank line after it.
        ("All employees receive:\n\n- a laptop\n- a phone\n\nContacts\n\n- HR", 2),
        ("We offer:\n25 days holiday\nA pension\n\nAsk HR.", 2),
        # A heading over list items, over short lines, or over lines one to a line.
        ("Benefits\n\n• a laptop\n\n• a phone\n\nAsk HR.", 2),
        ("Contacts\n\n• HR: Lena Vogel\n\nThat is all.", 1),
        ("Ingredients\n2 eggs\n300 ml milk\n1 tbsp sugar\n\nMethod\nMix.", 3),
        ("Ingredients\n\n2 eggs\n300 ml milk\n1 tbsp sugar\n\nMethod\nMix.", 3),
        ("Method\nWhisk the eggs.\nAdd the milk.\nBake it.\n\nServes 4.", 3),
        # A .docx: every line a paragraph. Short lines are items; sentences are not.
        ("Menu\n\nSoup\n\nBread\n\nCake\n\nWe open at nine.", 3),
        ("Leave\n\nYou get 25 days.\n\nAsk first.", 0),
        # One short line under a heading is its text; a question heads its answer, not a list.
        ("Hours\n\n9 to 5\n\nClosed on Sundays.", 0),
        ("What do I get?\n\nA laptop\n\nA phone", 0),
        # A heading within a paragraph's lines, or under another short line, heads nothing.
        ("The text runs on.\nNotes\nOne\nTwo", 0),
        ("Menu\n\nSoup\n\nBread\n\nCake", 3),
        # A title over a heading that opens a block of lines: the heading's list, not its own.
        ("Pancakes\n\nIngredients\n2 eggs\n300 ml milk", 0),
        # A paragraph of prose is no item.
        ("Notes\n\nThe cells are large. They last long.", 0),
        # A table's rows, however long, are the items of the lead-in over them.
        (
            "The export has these columns:\n\nColumn: date | Meaning: The day on which the "
            "expense was paid by a member of the team\n\nColumn: amount | Meaning: How much it "
            "was\n\nThe file is UTF-8.",
            2,
        ),
    ],
)
def test_list_items_after_a_lead_in_or_heading(text: str, items: int) -> None:
    assert list_items(text, split_sentences(text), 0, limit=10) == items


def test_list_items_stop_at_the_limit_and_a_list_item_reads_with_a_bullet() -> None:
    text = "Steps:\n" + "\n".join(f"{n}. Step {n}" for n in range(1, 8))
    assert list_items(text, split_sentences(text), 0, limit=5) == 5
    # An item among items heads nothing, even with items after it.
    text = "Menu\n\nSoup\n\nBread\n\nCake"
    assert list_items(text, split_sentences(text), 1, limit=10) == 0
    assert as_item("- a laptop") == "• a laptop"
    assert as_item("2 eggs") == "• 2 eggs"
    assert as_item("• a phone that\nfolds") == "• a phone that folds"
    assert as_item("2. Bake it.") == "2. Bake it."


def test_a_chunk_does_not_end_with_a_heading_or_question() -> None:
    headings = ["How do I reset it?", "Returns", "Is it waterproof?", "Warranty"]
    sections = [
        f"{heading}\n\n" + " ".join([f"The answer to question {i} is {i}."] * (3 + i % 2))
        for i, heading in enumerate(headings)
    ]
    text = "WidgetPro FAQ\n\n" + "\n\n".join(sections)
    assert len(_leads(text)) == 5
    for overlap in (0, 40):
        chunks = chunk_document(_doc(text), chunk_size=200, chunk_overlap=overlap)
        for chunk in chunks:
            assert chunk.text == text[chunk.start : chunk.end]
            assert len(chunk.text) <= 200
            last = chunk.sentences[-1]
            assert chunk.text[last.start : last.end].endswith("."), chunk.text
        # Each heading is in a chunk with its section's first sentence.
        for i, heading in enumerate(headings):
            opening = f"{heading}\n\nThe answer to question {i}"
            assert any(opening in chunk.text for chunk in chunks), opening
        # Each chunk knows which of its sentences are headings, though it holds only part of
        # the text: the title and the headings, not a sentence that opens a chunk mid-paragraph.
        leads = {
            chunk.text[chunk.sentences[i].start : chunk.sentences[i].end]
            for chunk in chunks
            for i in chunk.leads
        }
        assert leads == {"WidgetPro FAQ", *headings}


def test_a_section_is_a_chunk_of_its_own() -> None:
    # A chunk of two sections embeds as neither; a title stays with the first heading.
    text = "Guide\n\nIt covers two tasks.\n\nSetup\n\nRun the installer.\n\nUse\n\nOpen the app."
    chunks = chunk_document(_doc(text), chunk_size=500, chunk_overlap=0)
    assert [c.text for c in chunks] == [
        "Guide\n\nIt covers two tasks.",
        "Setup\n\nRun the installer.",
        "Use\n\nOpen the app.",
    ]
    untitled = text.replace("It covers two tasks.\n\n", "")
    chunks = chunk_document(_doc(untitled), chunk_size=500, chunk_overlap=0)
    assert [c.text.split("\n\n")[0] for c in chunks] == ["Guide", "Use"]
    # A question within a paragraph opens no section.
    text = "The cells are large. Why so long? They last."
    assert len(chunk_document(_doc(text), chunk_size=500, chunk_overlap=0)) == 1


def test_a_list_that_would_be_cut_opens_the_next_chunk_with_its_heading() -> None:
    text = (
        "Pancakes\n\nThese pancakes are light and quick to make on a weekday morning.\n\n"
        "Method\nWhisk the eggs, milk and sugar together in a jug.\n"
        "Sift the flour into a large bowl.\nPour in the wet mixture and stir.\n"
        "Cook the batter for two minutes on each side.\n\nServes four people at breakfast."
    )
    chunks = chunk_document(_doc(text), chunk_size=200, chunk_overlap=0)
    assert [c.text.split("\n")[0] for c in chunks] == [
        "Pancakes",
        "Method",
        "Serves four people at breakfast.",
    ]
    assert chunks[1].text.endswith("on each side.")
    # A list longer than a chunk makes its chunk grow to hold it all.
    chunks = chunk_document(_doc(text), chunk_size=150, chunk_overlap=0)
    assert [c.text.split("\n")[0] for c in chunks] == [
        "Pancakes",
        "Method",
        "Serves four people at breakfast.",
    ]
    assert chunks[1].text.endswith("on each side.") and len(chunks[1].text) > 150
    # Nor is a chunk left with only what comes before such a list.
    untitled = text.replace(
        "These pancakes are light and quick to make on a weekday morning.\n\n", ""
    )
    chunks = chunk_document(_doc(untitled), chunk_size=150, chunk_overlap=0)
    assert chunks[0].text.startswith("Pancakes\n\nMethod\nWhisk")


def test_a_list_longer_than_a_chunk_may_grow_to_is_cut_where_it_must_be() -> None:
    steps = [f"Stir the sauce gently for {n} minutes." for n in range(1, 11)]
    text = "Stew\n\nA slow stew for a cold evening in winter.\n\nMethod\n" + "\n".join(steps)
    method = len("Method\n" + "\n".join(steps))
    grown = chunk_document(_doc(text), chunk_size=method // LIST_GROWTH + 1, chunk_overlap=0)
    assert [c.text.split("\n")[0] for c in grown] == ["Stew", "Method"]
    size = method // LIST_GROWTH - 1
    cut = chunk_document(_doc(text), chunk_size=size, chunk_overlap=0)
    assert [c.text.split("\n")[0] for c in cut][:2] == ["Stew", "Method"] and len(cut) > 2
    assert all(len(c.text) <= size for c in cut)


def test_a_list_items_second_sentence_is_the_items() -> None:
    text = "Release steps:\n\n1. Tag the release. CI builds the images.\n2. Deploy to staging.\n"
    spans = split_sentences(text)
    assert list_items(text, spans, 0, 5) == 3
    # Items a blank line apart, as a loose Markdown list reads, are one list still.
    text = "Steps\n\n1. Install it.\n\n2. Sign in. Approve it.\n\n3. Connect.\n"
    spans = split_sentences(text)
    assert list_items(text, spans, 0, 9) == 4


def test_a_list_that_grows_its_chunk_takes_its_lead_in_and_question_along() -> None:
    item = (
        "a laptop, a phone and a monitor of your choice, delivered to your home before your "
        "first day and replaced every three years at no cost"
    )
    text = (
        "Working at Acme\n\nWe look after our staff in many ways and review the benefits with "
        "the works council. What do staff get? All staff receive:\n\n- "
        f"{item}\n- free lunch on Tuesdays\n\nAsk HR for details."
    )
    chunks = chunk_document(_doc(text), chunk_size=150, chunk_overlap=0)
    assert [c.text for c in chunks] == [
        "Working at Acme\n\nWe look after our staff in many ways and review the benefits with "
        "the works council.",
        f"What do staff get? All staff receive:\n\n- {item}\n- free lunch on Tuesdays",
        "Ask HR for details.",
    ]


def test_a_lead_in_that_a_chunk_would_cut_from_its_list_opens_the_next_chunk() -> None:
    text = (
        "Benefits\n\nWe look after our staff in many ways, and we review the benefits every "
        "year with the works council.\n\nAll employees receive:\n\n- a laptop and a phone\n"
        "- a yearly training budget\n- free lunch on Tuesdays\n\nAsk HR for details."
    )
    for size in (150, 200):  # the lead-in alone, or with part of its list, would end a chunk
        chunks = chunk_document(_doc(text), chunk_size=size, chunk_overlap=0)
        assert [c.text.split("\n")[0] for c in chunks] == ["Benefits", "All employees receive:"]


def test_a_short_section_keeps_its_list_in_its_chunk() -> None:
    # A heading and a sentence before "Examples include:": the list is what the section is
    # of, and cut from them it says nothing of gross misconduct.
    items = [
        "theft, fraud or falsifying records",
        "violence, bullying or harassment",
        "serious breach of safety rules",
        "being drunk at work",
    ]
    text = (
        "Gross misconduct\n\nGross misconduct justifies dismissal without notice.\n\n"
        "Examples include:\n\n" + "\n".join(f"- {item}" for item in items) + "\n\n"
        "Suspension\n\nYou may be suspended on full pay."
    )
    chunks = chunk_document(_doc(text), chunk_size=150, chunk_overlap=0)
    assert [c.text.split("\n")[0] for c in chunks] == ["Gross misconduct", "Suspension"]
    assert chunks[0].text.endswith("being drunk at work")


def _paged(*pages: str) -> LoadedDocument:
    """A document as the PDF loader returns it: pages joined by PAGE_SEPARATOR, with spans."""
    spans, offset = [], 0
    for number, page in enumerate(pages, start=1):
        spans.append(PageSpan(number, offset, offset + len(page)))
        offset += len(page) + len(PAGE_SEPARATOR)
    return _doc(PAGE_SEPARATOR.join(pages), tuple(spans))


def test_a_chunk_holds_the_sentences_of_one_page() -> None:
    page_one = ("Page one talks about apples. " * 5).strip()
    page_two = ("Page two talks about pears. " * 5).strip()
    chunks = chunk_document(_paged(page_one, page_two), chunk_size=1000, chunk_overlap=0)
    assert [(c.page, c.last_page) for c in chunks] == [(1, 1), (2, 2)]
    assert "pears" not in chunks[0].text and "apples" not in chunks[1].text


def test_a_heading_at_the_foot_of_a_page_goes_over_with_its_text() -> None:
    apples = ("Page one talks about apples. " * 5).strip()
    page_one = apples + "\nTroubleshooting\nProblem: It leaks."
    page_two = "Solution: Tighten the nut.\nIt should hold."
    chunks = chunk_document(_paged(page_one, page_two), chunk_size=1000, chunk_overlap=0)
    assert [c.text.split("\n")[0] for c in chunks] == [apples, "Troubleshooting"]
    assert chunks[1].leads == (0, 1)
    assert [(c.page, c.last_page) for c in chunks] == [(1, 1), (1, 2)]


def test_a_sentence_cut_by_a_page_break_stays_whole() -> None:
    document = _paged(
        "Apples grow on trees.\nThe orchard's second harvest is sold in the market of\nthe",
        "old town every autumn. Pears are sweet.\nPlums are sour.",
    )
    chunks = chunk_document(document, chunk_size=120, chunk_overlap=0)
    sentences = [one_line(c.text[s.start : s.end]) for c in chunks for s in c.sentences]
    assert sentences == [
        "Apples grow on trees.",
        "The orchard's second harvest is sold in the market of the old town every autumn.",
        "Pears are sweet.",
        "Plums are sour.",
    ]
    # The chunk starts on page 1 and ends on page 2; the next one starts after the sentence.
    assert [(c.page, c.last_page) for c in chunks] == [(1, 2), (2, 2)]
    assert chunks[1].text == "Pears are sweet.\nPlums are sour."


def test_wrapped_lines_join_into_their_sentence() -> None:
    # PDF text and hard-wrapped files break lines mid-sentence; headings, list items, table
    # rows and blank lines still stand alone.
    text = (
        "Annual Report\n"
        "The committee met in Beijing on January 4 and agreed to extend the\n"
        "corridor to Gwadar, with a second phase planned for the spring of next\n"
        "year. Funding was approved.\n"
        "Steps:\n"
        "1. Survey the route along the Karakoram Highway before\n"
        "the passes close\n"
        "2. Build\n"
        "- a bullet point\n"
        "- another one\n"
        "# Heading\n"
        "| a | b |\n"
        "| c | d |\n"
        "\n"
        "New paragraph."
    )
    spans = split_sentences(text, offset=7)
    assert [text[s.start - 7 : s.end - 7] for s in spans] == [
        "Annual Report",
        "The committee met in Beijing on January 4 and agreed to extend the\n"
        "corridor to Gwadar, with a second phase planned for the spring of next\n"
        "year.",
        "Funding was approved.",
        "Steps:",
        "1. Survey the route along the Karakoram Highway before\nthe passes close",
        "2. Build",
        "- a bullet point",
        "- another one",
        "# Heading",
        "| a | b |",
        "| c | d |",
        "New paragraph.",
    ]


def test_a_short_line_before_a_capital_is_a_heading_not_a_wrap() -> None:
    text = (
        "Results\n"
        "Pakistan and China agreed to align their national development strategies and to\n"
        "Launch the upgraded corridor together.\n"
        "Short line\n"
        "continues in lower case."
    )
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "Results",
        "Pakistan and China agreed to align their national development strategies and to\n"
        "Launch the upgraded corridor together.",
        "Short line\ncontinues in lower case.",
    ]


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_a_columns_lines_wrap_under_a_wider_title() -> None:
    # A two-column paper's page: a line spans both columns, the text wraps at half the width.
    column = "\n".join(
        [
            "Dense networks of low-cost particulate matter",
            "sensors promise street-level air quality maps",
            "in the busiest cities, such as the city of",
            "Leeds, where the battery-powered nodes rarely",
            "last more than a few weeks. We present the",
            "DutyAir scheme, which adapts the sampling rate",
            "of each node to the recent variability of its",
            "readings across the whole deployment of the",
            "LoRa network in the city centre and beyond.",
            "It runs on every node of the network.",
        ]
    )
    wide = "We release the firmware and the data set of the deployment, which spans both columns."
    sentences = [one_line(s) for s in _sentences(f"{wide}\n{column}")]
    assert sentences == [
        wide,
        "Dense networks of low-cost particulate matter sensors promise street-level air quality "
        "maps in the busiest cities, such as the city of Leeds, where the battery-powered nodes "
        "rarely last more than a few weeks.",
        "We present the DutyAir scheme, which adapts the sampling rate of each node to the "
        "recent variability of its readings across the whole deployment of the LoRa network in "
        "the city centre and beyond.",
        "It runs on every node of the network.",
    ]


def test_a_narrow_paragraph_is_a_line_each() -> None:
    # Nobody wraps prose under 40 characters: these are a list's lines, not one sentence. A
    # line that goes on in lower case still wraps.
    text = (
        "Ingredients\n2 eggs\n200 g plain flour\n300 ml milk\n2 tsp baking powder\n"
        "A pinch of salt\n\nThe Old Mill\n12 Harbour Road\nKinsale, County Cork\n"
        "and the gardens behind it"
    )
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "Ingredients",
        "2 eggs",
        "200 g plain flour",
        "300 ml milk",
        "2 tsp baking powder",
        "A pinch of salt",
        "The Old Mill",
        "12 Harbour Road",
        "Kinsale, County Cork\nand the gardens behind it",
    ]


def test_lines_without_a_sentence_end_join_ten_at_most() -> None:
    # A table or log pasted as text: rows of one width, none ending a sentence.
    rows = [
        f"Row {i} Pakistan China corridor tonnage {1000 + i} and value {2000 + i}"
        for i in range(25)
    ]
    text = "\n".join(rows)
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert [s.count("\n") + 1 for s in sentences] == [10, 10, 5]
    assert "\n".join(sentences) == text


def test_a_line_ending_in_an_abbreviation_or_before_lower_case_wraps() -> None:
    text = (
        "The delegation was led by Dr.\n"
        "Smith of the planning ministry, who cited several ports, e.g.\n"
        "Gwadar and Karachi, and other sites etc.\n"
        "as examples.\n"
        "It ended there.\n"
        "Next one."
    )
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "The delegation was led by Dr.\nSmith of the planning ministry, who cited several "
        "ports, e.g.\nGwadar and Karachi, and other sites etc.\nas examples.",
        "It ended there.",
        "Next one.",
    ]


def test_a_wrapped_sentence_is_quoted_on_one_line() -> None:
    assert one_line("the all-\nweather partners\n  agreed ") == "the all-weather partners agreed"
    assert one_line("Pakistan-\nChina talks") == "Pakistan-China talks"
    # A dash between words is not a hyphenated word.
    assert one_line("talks -\nand more") == "talks - and more"
