"""The sample questions a new user asks, through the same chain the UI and CLI use."""

import re
import textwrap
from dataclasses import replace
from pathlib import Path

import docx

from qa_bot.answering import LIST_ITEMS, ExtractiveAnswerer, ScoredSentence, _gives_no_measure
from qa_bot.answers import NOT_FOUND
from qa_bot.chain import build_retriever
from qa_bot.chunking import one_line
from qa_bot.condense import Turn
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.ingest import ingest_paths
from qa_bot.render import sources_html
from qa_bot.runtime import Runtime
from tests.conftest import SAMPLE_DOC
from tests.factories import make_pdf


def _ingest(runtime: Runtime, path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    ingest_paths([path], runtime.store, show_progress=False)


def _ask(runtime: Runtime, question: str, history: list[Turn] | None = None):
    return runtime.chain.invoke({"question": question, "history": history or []})


def test_khunjerab_answer_cites_year_round_opening(sample_runtime: Runtime) -> None:
    answer = _ask(sample_runtime, "What did the two countries say about the Khunjerab Pass?")
    assert not answer.abstained
    first = answer.text.split("[")[0]
    assert "year-round opening of the Khunjerab Pass" in first
    cited = answer.citations[0]
    assert "year-round opening of the Khunjerab Pass" in cited.supporting_sentence
    assert cited.supporting_sentence in cited.text
    doc_text = (sample_runtime.settings.documents_dir / cited.file_name).read_text("utf-8")
    assert doc_text[cited.start : cited.end] == cited.text


def test_every_marker_maps_to_a_retrieved_chunk(sample_runtime: Runtime) -> None:
    answer = _ask(sample_runtime, "Who co-chaired the dialogue?")
    assert "Wang Yi" in answer.text and "Ishaq Dar" in answer.text
    numbers = {s.number for s in answer.sources}
    assert answer.cited_numbers and set(answer.cited_numbers) <= numbers
    # Each sentence of the answer is a verbatim sentence of the cited chunk.
    for citation in answer.citations:
        assert citation.supporting_sentence in answer.text


def test_follow_up_uses_the_conversation(sample_runtime: Runtime) -> None:
    first = _ask(sample_runtime, "Who co-chaired the dialogue?")
    history = [Turn("Who co-chaired the dialogue?", first.standalone_query, first.text)]
    answer = _ask(sample_runtime, "Where will the next round be held?", history)
    assert answer.standalone_query != answer.question
    assert "dialogue" in answer.standalone_query.lower()
    assert "Islamabad" in answer.text.split("[")[0]
    assert "next year" in answer.text.split("[")[0]
    # A question the report does not answer is declined in the conversation as out of it: the
    # conversation's subject finds passages, but none says a word of Lahore or its population.
    history.append(Turn("Where will the next round be held?", answer.standalone_query, answer.text))
    declined = _ask(sample_runtime, "What is the population of Lahore?", history)
    assert declined.abstained, declined.text


def test_a_follow_up_that_names_nothing_earlier_is_searched_in_the_conversations_context(
    runtime: Runtime, tmp_path: Path
) -> None:
    _ingest(
        runtime,
        tmp_path / "faq.txt",
        "IT help\n\nNew laptops\n\nLaptops are replaced every four years. To request one "
        "early, ask your line manager to approve a request in the portal.\n\n"
        "Standard models are:\n\n• Dell Latitude 7440\n\n• Apple MacBook Pro 14-inch\n\n"
        "Wi-Fi\n\nThe guest network is BW-Guest. Its password changes every Monday.\n",
    )
    first = _ask(runtime, "How do I request a new laptop?")
    assert not first.abstained
    history = [Turn("How do I request a new laptop?", first.standalone_query, first.text)]

    alone = _ask(runtime, "Which models can I choose from?")
    assert alone.abstained
    answer = _ask(runtime, "Which models can I choose from?", history)
    assert "Dell Latitude 7440" in answer.text and "laptop" in answer.standalone_query
    streamed = list(runtime.chain.stream({"question": answer.question, "history": history}))
    assert streamed[-1].text == answer.text and not any(s.abstained for s in streamed)
    # A new question the documents do not answer is declined, with or without the conversation.
    declined = _ask(runtime, "Which tablets can I choose from?", history)
    assert declined.abstained and declined.standalone_query == declined.question


def test_a_what_if_follow_up_is_answered_of_the_previous_question(
    runtime: Runtime, tmp_path: Path
) -> None:
    _ingest(
        runtime,
        tmp_path / "policy.txt",
        "Home insurance policy\n\nCancelling your policy\n\nYou can cancel your policy at any "
        "time by calling us. If you cancel within 14 days, we refund your premium in full. If "
        "you have made a claim this policy year, no premium is refunded when you cancel.\n\n"
        "Making a claim\n\nTo make a claim, call our claims line on 0800 123 456 within 30 "
        "days of the loss. We may ask for receipts and photographs of the damage.\n",
    )
    first = _ask(runtime, "Can I cancel my policy?")
    history = [Turn(first.question, first.standalone_query, first.text)]
    answer = _ask(runtime, "What if I've already made a claim?", history)
    assert answer.standalone_query == "Can I cancel my policy if I've already made a claim?"
    assert answer.text.startswith("If you have made a claim this policy year"), answer.text


def test_a_year_the_documents_do_not_have_is_declined(runtime: Runtime, tmp_path: Path) -> None:
    # Answered, "revenue in 2021" was 2024's figure, at 90% confidence.
    _ingest(
        runtime,
        tmp_path / "results.txt",
        "Brightwater plc annual results\n\nRevenue was £41.2m in 2024, up from £38.0m in 2023. "
        "Operating profit rose to £5.1m, and the board proposes a final dividend of 4.2p.\n",
    )
    declined = _ask(runtime, "What was Brightwater's revenue in 2021?")
    assert declined.abstained and declined.text == "I can't find 2021 in your documents."
    answered = _ask(runtime, "What was Brightwater's revenue in 2023?")
    assert answered.text.startswith("Revenue was £41.2m in 2024, up from £38.0m in 2023.")


def test_an_acronym_finds_the_name_the_document_spells_out(
    runtime: Runtime, tmp_path: Path
) -> None:
    _ingest(
        runtime,
        tmp_path / "notice.txt",
        "Members' notice\n\nThe Annual General Meeting will be held on 12 May 2025 at the "
        "Guildhall, starting at 6pm. The board meets monthly in the Harbour Room. Minutes of "
        "each board meeting are sent to members within two weeks.\n",
    )
    answer = _ask(runtime, "When is the AGM?")
    assert answer.text.startswith("The Annual General Meeting will be held on 12 May"), answer.text


def test_question_not_in_documents_is_declined(sample_runtime: Runtime) -> None:
    answer = _ask(sample_runtime, "What is the population of Lahore?")
    assert answer.abstained
    assert answer.text == NOT_FOUND
    assert answer.citations == []


def test_streaming_ends_with_the_final_answer(sample_runtime: Runtime) -> None:
    question = {"question": "Who co-chaired the dialogue?", "history": []}
    snapshots = list(sample_runtime.chain.stream(question))
    assert len(snapshots) > 1
    assert all(not s.final for s in snapshots[:-1]) and snapshots[-1].final
    assert snapshots[-1].text == sample_runtime.chain.invoke(question).text


def test_empty_store_abstains(runtime: Runtime) -> None:
    answer = _ask(runtime, "Anything at all?")
    assert answer.abstained and answer.sources == ()


def test_a_sentence_wrapped_over_pdf_lines_is_answered_whole(
    runtime: Runtime, tmp_path: Path
) -> None:
    # A PDF holds a paragraph as one text line per printed line.
    paragraphs = [p for p in SAMPLE_DOC.read_text("utf-8").split("\n\n") if p.strip()]
    lines = [line for p in paragraphs for line in textwrap.wrap(p, 90)]
    pages = ["\n".join(lines[i : i + 45]) for i in range(0, len(lines), 45)]
    make_pdf(tmp_path / "cpec.pdf", pages)
    ingest_paths([tmp_path / "cpec.pdf"], runtime.store, show_progress=False)

    answer = _ask(runtime, "Who co-chaired the dialogue?")
    first = answer.text.split("[")[0]
    # The co-chairs are named on two printed lines of one sentence.
    assert "Wang Yi and Pakistan’s Deputy Prime Minister" in first
    assert first.startswith("The decision was announced") and "\n" not in first
    cited = answer.citations[0]
    assert cited.page == 1
    assert "\n" in cited.supporting_sentence
    assert one_line(cited.supporting_sentence) in answer.text


def test_a_sentence_over_a_page_break_is_answered_whole_without_the_footer(
    runtime: Runtime, tmp_path: Path
) -> None:
    # A report with a running header and a page number on every page; the sentence naming the
    # co-chairs runs over the break between pages 1 and 2.
    paragraphs = [p for p in SAMPLE_DOC.read_text("utf-8").split("\n\n") if p.strip()]
    lines = [line for p in paragraphs for line in textwrap.wrap(p, 90)]
    assert lines[13].endswith("co-chaired by Chinese Foreign")
    bodies = [lines[:14]] + [lines[i : i + 30] for i in range(14, len(lines), 30)]
    pages = [
        "\n".join(["CPEC 2.0 briefing", *body, f"Page {n} of {len(bodies)}"])
        for n, body in enumerate(bodies, start=1)
    ]
    make_pdf(tmp_path / "cpec.pdf", pages)
    ingest_paths([tmp_path / "cpec.pdf"], runtime.store, show_progress=False)

    answer = _ask(runtime, "Who co-chaired the dialogue?")
    first = answer.text.split("[")[0]
    assert first.startswith("The decision was announced")
    assert "Chinese Foreign Minister Wang Yi and Pakistan’s Deputy Prime Minister" in first
    assert "Page" not in first and "briefing" not in first
    cited = answer.citations[0]
    assert (cited.page, cited.last_page) == (1, 2)
    assert "pages 1-2" in cited.location


def test_a_table_row_is_answered_with_its_column_names(runtime: Runtime, tmp_path: Path) -> None:
    rows = [("North", "12 t", "14 t", "Jane Doe"), ("South", "9 t", "3 t", "Omar Haddad")]
    table = "".join(f"<tr>{''.join(f'<td>{cell}</td>' for cell in row)}</tr>" for row in rows)
    _ingest(
        runtime,
        tmp_path / "orchards.html",
        "<html><head><title>Untitled Document</title></head><body>"
        "<h1>Valley Orchards annual report</h1>"
        "<p>Valley Orchards runs two orchards in the Lune valley.</p>"
        "<table><tr><th>Orchard</th><th>Harvest 2024</th><th>Harvest 2025</th><th>Manager</th>"
        f"</tr>{table}</table>"
        "<p>The south orchard was replanted in 2025 after a frost in April.</p></body></html>",
    )

    answer = _ask(runtime, "Who manages the South orchard?")
    assert answer.text.startswith(
        "Orchard: South | Harvest 2024: 9 t | Harvest 2025: 3 t | Manager: Omar Haddad [1]"
    )
    assert answer.citations[0].title == "Valley Orchards annual report"


def test_a_faq_is_answered_by_its_answers_not_its_questions(
    runtime: Runtime, tmp_path: Path
) -> None:
    faq = {
        "How do I reset the device?": "Hold the power button for 15 seconds until the LED "
        "blinks red three times. The device restarts with factory settings.",
        "What is the battery life?": "A full charge lasts about 12 hours of normal use, or 3 "
        "days in standby. Charging from empty takes 90 minutes with the supplied charger.",
        "Is the WidgetPro waterproof?": "The WidgetPro 3000 is rated IP67: it survives "
        "immersion in 1 metre of fresh water for 30 minutes. It is not made for salt water.",
        "What does the warranty cover?": "The warranty lasts two years from the date of "
        "purchase and covers manufacturing defects.",
    }
    body = "".join(f"<h2>{q}</h2><p>{a}</p>" for q, a in faq.items())
    (tmp_path / "faq.html").write_text(
        f"<html><body><h1>WidgetPro 3000 - Frequently asked questions</h1>{body}</body></html>",
        encoding="utf-8",
    )
    (tmp_path / "minutes.txt").write_text(
        "Board meeting minutes, 14 October 2026\n\n"
        "Present: Maria Lopez (chair), Tom Becker, Aisha Khan.\n\n"
        "1. Budget. Tom Becker presented the Q3 figures, with revenue of 4.2 million euros.\n\n"
        "2. Office move. The Berlin office will move to Friedrichstrasse 120 on 1 February "
        "2027. Aisha Khan will lead the move.\n",
        encoding="utf-8",
    )
    ingest_paths([tmp_path], runtime.store, show_progress=False)

    for question, answer in [
        ("How do I reset the WidgetPro?", "Hold the power button for 15 seconds"),
        ("How long does the battery last?", "A full charge lasts about 12 hours"),
        ("Is it waterproof?", "The WidgetPro 3000 is rated IP67"),
        ("How long is the warranty?", "The warranty lasts two years"),
        ("Who chaired the board meeting?", "Present: Maria Lopez (chair)"),
        ("When is the office move?", "The Berlin office will move"),
    ]:
        reply = _ask(runtime, question)
        assert reply.text.startswith(answer), (question, reply.text)
        # Neither a question of the FAQ, nor a heading or title, is quoted.
        assert not any(q in reply.text for q in faq), reply.text
        assert "Office move." not in reply.text and "minutes, 14" not in reply.text
        cited = reply.citations[0]
        assert (cited.supporting_sentence or "").startswith(answer)
    # A section that the question matches is quoted from its opening up to the next heading.
    reply = _ask(runtime, "When is the office move?")
    assert reply.text.endswith("2027. [1] Aisha Khan will lead the move. [1]"), reply.text
    reply = _ask(runtime, "What about the budget?")
    assert reply.text == (
        "Tom Becker presented the Q3 figures, with revenue of 4.2 million euros. [1]"
    ), reply.text


def test_a_section_the_question_matches_is_quoted_from_its_opening(
    runtime: Runtime, tmp_path: Path
) -> None:
    # "Refunds" is what the question asks about: the section's first sentence alone ("You can
    # cancel at any time.") does not answer it, the section does.
    _ingest(
        runtime,
        tmp_path / "pricing.html",
        "<html><body><h1>Pricing</h1><p>Widgetly has three plans. All plans include "
        "unlimited notes.</p><h2>Refunds</h2><p>You can cancel at any time. We refund the "
        "unused part of a yearly plan within 14 days of the request.</p><h2>Student "
        "discount</h2><p>Students get 50% off the Pro plan with a university email address."
        "</p></body></html>",
    )
    reply = _ask(runtime, "Can I get a refund?")
    assert reply.text == (
        "You can cancel at any time. [1] We refund the unused part of a yearly plan within 14 "
        "days of the request. [1]"
    )
    # Both sentences the answer quotes are marked in the source, as one run of text.
    marks = re.findall(r"<mark>(.*?)</mark>", sources_html(reply.citations, 1, reply), re.DOTALL)
    assert marks == [
        "You can cancel at any time. We refund the unused part of a yearly plan within 14 days "
        "of the request."
    ]
    # The section ends at the next heading: it is not quoted.
    reply = _ask(runtime, "Is there a student discount?")
    assert reply.text == (
        "Students get 50% off the Pro plan with a university email address. [1]"
    ), reply.text


def test_a_sentence_of_a_table_row_is_quoted_with_its_row(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(
        runtime,
        tmp_path / "api.html",
        "<html><body><h1>read_table</h1><p>Reads a delimited file.</p><table>"
        "<tr><th>Name</th><th>Default</th><th>Description</th></tr>"
        "<tr><td>header</td><td>0</td><td>Row number of the column names. Pass None if the "
        "file has no header row.</td></tr>"
        "<tr><td>delimiter</td><td>,</td><td>Field separator.</td></tr></table></body></html>",
    )
    reply = _ask(runtime, "How do I read a file that has no header row?")
    assert reply.text == (
        "Name: header | Default: 0 | Description: Row number of the column names. Pass None if "
        "the file has no header row. [1]"
    ), reply.text
    assert reply.citations[0].supporting_sentence.startswith("Name: header")


def test_a_faqs_answer_is_quoted_with_the_steps_it_goes_on_to(
    runtime: Runtime, tmp_path: Path
) -> None:
    _ingest(
        runtime,
        tmp_path / "faq.md",
        "# IT FAQ\n\n## How do I reset my password?\n\nUse the self-service portal. You "
        "need your phone for a code.\n\n1. Open the portal.\n2. Enter the code.\n\n"
        "Call the desk if it fails.\n\n## How do I get a laptop?\n\nAsk your manager.\n\n"
        "- Dell Latitude\n- ThinkPad X1\n",
    )
    reply = _ask(runtime, "How do I reset my password?")
    assert reply.text == (
        "Use the self-service portal. [1] You need your phone for a code. 1. Open the portal. "
        "2. Enter the code. [1]"
    ), reply.text
    reply = _ask(runtime, "How do I get a laptop?")
    assert reply.text == "Ask your manager. [1] • Dell Latitude • ThinkPad X1 [1]", reply.text


def test_a_readmes_code_is_what_its_heading_introduces(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(
        runtime,
        tmp_path / "README.md",
        "# fastcsv\n\nfastcsv reads CSV files quickly. It needs Python 3.10.\n\n"
        "## Installation\n\n```bash\npip install fastcsv\n```\n\n"
        "On Windows you also need the Visual C++ runtime.\n\n## Usage\n\n```python\n"
        'import fastcsv\nrows = fastcsv.read("data.csv")\n```\n\n'
        "The read function returns a list of dictionaries.\n",
    )
    reply = _ask(runtime, "How do I install fastcsv?")
    assert reply.text.startswith("`pip install fastcsv` [1]"), reply.text
    # "Usage" heads its code: it is no sentence of the installation's.
    assert "Usage" not in reply.text


def test_a_lead_in_is_quoted_with_its_list(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(
        runtime,
        tmp_path / "guide.md",
        "# Office guide\n\n## Getting here\n\nThe office is at Friedrichstrasse 120, Berlin. "
        "There is no car park.\n\n## Benefits\n\nAll employees receive:\n\n"
        "- a monthly public transport ticket\n- a gym membership at Urban Sports\n"
        "- 30 euros a month for lunch\n\n## Contacts\n\n- Reception: +49 30 1234 5678\n"
        "- HR: Lena Vogel, hr@acme.example\n",
    )

    answer = _ask(runtime, "What benefits do employees get?")
    assert answer.text == (
        "All employees receive: • a monthly public transport ticket • a gym membership at "
        "Urban Sports • 30 euros a month for lunch [1]"
    )
    cited = answer.citations[0].supporting_sentence or ""
    assert cited.startswith("All employees receive:") and cited.endswith("lunch")
    # The list ends where the next heading begins: its items are the next section's.
    assert "Contacts" not in cited


RECIPE = """Fluffy Pancakes

These pancakes are light and quick to make on a weekday morning.

Ingredients
2 eggs
200 g plain flour
300 ml milk
1 tbsp sugar

Method
Whisk the eggs, milk and sugar together in a jug.
Sift the flour into a large bowl and pour in the wet mixture.
Cook ladlefuls of batter for two minutes on each side.

Serves 4. Each serving has about 250 calories.
"""


def test_a_list_is_quoted_with_its_heading(runtime: Runtime, tmp_path: Path) -> None:
    # A plain-text recipe writes its lists a line each, without bullets; Word keeps bullets as
    # list rules. Either way, the heading that matches the question is quoted with its items.
    (tmp_path / "pancakes.txt").write_text(RECIPE, encoding="utf-8")
    document = docx.Document()
    document.add_heading("Staff guide", level=1)
    document.add_paragraph("The guide covers pay, perks and leave for everyone at Acme.")
    document.add_heading("Perks", level=2)
    for perk in ("A laptop and a phone", "A gym membership", "Free lunch on Tuesdays"):
        document.add_paragraph(perk, style="List Bullet")
    document.add_heading("Leave", level=2)
    document.add_paragraph("Everyone gets 25 days of paid leave a year.")
    document.save(str(tmp_path / "guide.docx"))
    ingest_paths([tmp_path], runtime.store, show_progress=False)

    for question, answer in [
        (
            "What are the ingredients for the pancakes?",
            "Ingredients • 2 eggs • 200 g plain flour • 300 ml milk • 1 tbsp sugar [1]",
        ),
        (
            "What is the method for the pancakes?",
            "Method • Whisk the eggs, milk and sugar together in a jug. • Sift the flour into "
            "a large bowl and pour in the wet mixture. • Cook ladlefuls of batter for two "
            "minutes on each side. [1]",
        ),
        (
            "What perks do staff get?",
            "Perks • A laptop and a phone • A gym membership • Free lunch on Tuesdays [1]",
        ),
    ]:
        reply = _ask(runtime, question)
        assert reply.text == answer, (question, reply.text)
        # The highlight runs from the heading to the last item, as the file has them.
        cited = reply.citations[0].supporting_sentence or ""
        assert cited.startswith(answer.split()[0]) and cited.endswith(answer.split(" • ")[-1][:-4])
    reply = _ask(runtime, "How many calories does a serving have?")
    assert reply.text == "Each serving has about 250 calories. [1]"
    # A list's heading is one of the document's headings, each section a chunk of its own.
    reply = _ask(runtime, "Summarize the pancake recipe")
    assert reply.text.endswith("Contents: Ingredients [2]; Method [3]"), reply.text


def test_a_long_list_is_quoted_whole(runtime: Runtime, tmp_path: Path) -> None:
    # Eight steps of a hundred characters are more than a chunk; fourteen ingredients are more
    # than the ten an answer used to quote. A recipe without its last steps, or its cheese,
    # misleads whoever cooks from it.
    ingredients = [f"{n * 10} g of ingredient number {n}" for n in range(1, 15)]
    steps = [
        f"Step {word}: keep stirring the sauce over a low heat, so that it does not catch on "
        f"the pan, for {word} minutes."
        for word in ("one", "two", "three", "four", "five", "six", "seven", "eight")
    ]
    spices = [f"{n} pinches of spice {n}" for n in range(1, LIST_ITEMS + 4)]
    _ingest(
        runtime,
        tmp_path / "lasagne.txt",
        "Lasagne\n\nA rich lasagne for a family dinner.\n\nIngredients\n"
        + "\n".join(ingredients)
        + "\n\nMethod\n"
        + "\n".join(steps)
        + "\n\nSpices\n"
        + "\n".join(spices)
        + "\n\nServes six.\n",
    )

    reply = _ask(runtime, "What are the ingredients?")
    assert reply.text == " • ".join(["Ingredients", *ingredients]) + " [1]"
    reply = _ask(runtime, "What is the method?")
    assert reply.text == " • ".join(["Method", *steps]) + " [1]"
    assert (reply.citations[0].supporting_sentence or "").endswith(steps[-1])
    # A list longer than an answer quotes says that it goes on.
    reply = _ask(runtime, "What are the spices?")
    assert reply.text == " • ".join(["Spices", *spices[:LIST_ITEMS], "…"]) + " [1]"


def test_the_words_that_frame_a_question_do_not_lower_its_confidence(
    runtime: Runtime, tmp_path: Path
) -> None:
    # "How many eggs?" asks about eggs: "how" and "many" are in no line of the recipe, and when
    # they counted as terms the line "2 eggs" held only a third of the question.
    _ingest(runtime, tmp_path / "pancakes.txt", RECIPE)
    docs = build_retriever(runtime.settings, runtime.store).invoke("How many eggs?")
    answerer = ExtractiveAnswerer(runtime.embedder, reranker=runtime.reranker)
    signals, scored = answerer.signals("How many eggs?", docs)
    assert scored[0].text == "2 eggs"
    assert signals.overlap == 1.0 and signals.coverage == 1.0
    reply = _ask(runtime, "How many eggs?")
    assert reply.text == "2 eggs [1]" and reply.confidence > 0.9


def test_a_question_in_another_form_of_the_documents_word_is_answered(
    sample_runtime: Runtime,
) -> None:
    # "priorities" and the report's "will prioritise", read as two terms, left the sentence
    # that says what CPEC 2.0 will prioritise behind one that names "CPEC 2.0".
    reply = _ask(sample_runtime, "What are the priorities of CPEC 2.0?")
    assert reply.text.startswith("The new phase will prioritise the development"), reply.text


def test_what_was_said_about_a_topic_is_answered(sample_runtime: Runtime) -> None:
    # "say" is in no sentence of a report on what was said ("reaffirmed", "expressed
    # readiness"): counted as a term the question missed, it kept both below the threshold.
    for question in (
        "What did they say about space cooperation?",
        "What was said about counter-terrorism?",
    ):
        reply = _ask(sample_runtime, question)
        assert (
            "strengthen cooperation in counter-terrorism, law enforcement, space cooperation"
            in (reply.text.split("[")[0])
        ), (question, reply.text)
    # A topic the report does not have is still not found.
    assert _ask(sample_runtime, "What did they say about Taiwan?").abstained


def test_what_a_person_said_is_what_they_said_not_what_was_said_of_them(
    sample_runtime: Runtime,
) -> None:
    # "Wang Yi … said that Ishaq Dar is the first foreign minister received…" names Ishaq Dar
    # and reads much like the question; it is Wang Yi speaking.
    first = _ask(sample_runtime, "What did Wang Yi say?")
    assert first.text.startswith("Wang Yi"), first.text
    history = [Turn("What did Wang Yi say?", first.standalone_query, first.text)]
    reply = _ask(sample_runtime, "And Ishaq Dar?", history)
    assert reply.standalone_query == "What did Ishaq Dar say?"
    assert reply.text.startswith("Ishaq Dar said that Pakistan is willing"), reply.text
    # What else he said is not what another said of him either.
    alone = [Turn("What did Ishaq Dar say?", reply.standalone_query, reply.text)]
    more = _ask(sample_runtime, "What else?", alone)
    assert more.text.startswith("FM Ishaq Dar conveyed the warm greetings"), more.text


def test_a_measure_the_documents_do_not_give_is_declined(sample_runtime: Runtime) -> None:
    # The report names the Khunjerab Pass often and never its height: the sentence that names
    # it best is no answer to "How high?".
    first = _ask(sample_runtime, "When will the Khunjerab Pass open?")
    assert not first.abstained
    history = [Turn("When will the Khunjerab Pass open?", first.standalone_query, first.text)]
    for question, asked in (("How high is the Khunjerab Pass?", []), ("How high is it?", history)):
        reply = _ask(sample_runtime, question, asked)
        assert reply.abstained, (question, reply.text)
    # The sentence that names Wang Yi best has a year in it: a year is no height.
    reply = _ask(sample_runtime, "How tall is Wang Yi?")
    assert reply.abstained, reply.text
    # Nor is a sentence naming the highway, with no figure or span, its length.
    reply = _ask(sample_runtime, "How long is the Karakoram Highway?")
    assert reply.abstained, reply.text


def test_a_sentence_is_not_quoted_again_with_its_list(embedder: SentenceEmbedder) -> None:
    answerer = ExtractiveAnswerer(embedder)
    step = ScoredSentence(0, 7, 40, "Whisk the eggs and milk in a jug.", 0.6, 0.2, 1.0)
    method = ScoredSentence(
        0, 0, 80, "Method • Whisk the eggs… • Sift the flour.", 0.6, 0.2, 0.99, 2
    )
    serves = ScoredSentence(1, 0, 12, "Serves four.", 0.6, 0.2, 0.98)
    assert answerer._choose([step, method, serves]) == [step, serves]
    # A list quoted with its heading is an answer of its own.
    assert answerer._choose([method, serves]) == [method]
    # A sentence that opens the section the question matched goes on with the next one,
    # however far down the scorer put it, unless that is already quoted.
    opening = ScoredSentence(1, 0, 12, "Serves four.", 0.6, 0.2, 0.98, led=True)
    after = ScoredSentence(1, 13, 40, "Each has 250 calories.", 0.1, 0.0, 0.1)
    assert answerer._choose([opening, step], after) == [opening, after]
    assert answerer._choose([opening], replace(after, start=5)) == [opening]
    one = ExtractiveAnswerer(embedder, max_sentences=1)
    assert one._choose([opening, step], after) == [opening]


def test_a_chapters_review_questions_are_not_its_answers(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(
        runtime,
        tmp_path / "chapter.md",
        "# Cell division\n\n## The cell cycle\n\nA cell spends most of its life in interphase. "
        "During the S phase the cell copies its DNA, so that each chromosome has two sister "
        "chromatids. Plant cells cannot form a cleavage furrow because of their rigid wall; "
        "they build a cell plate instead.\n\n## Mitosis\n\nMitosis has five stages: prophase, "
        "prometaphase, metaphase, anaphase and telophase.\n\n## Review questions\n\n"
        "1. What happens during the S phase of interphase?\n"
        "2. List the five stages of mitosis in order and describe one event in each.\n"
        "3. Why can't plant cells form a cleavage furrow?\n"
        "4. Explain the difference between mitosis and meiosis.\n",
    )
    for question, answer in [
        ("What happens during S phase?", "During the S phase the cell copies its DNA"),
        ("What are the stages of mitosis?", "Mitosis has five stages"),
        ("Why can't plant cells form a cleavage furrow?", "Plant cells cannot form"),
    ]:
        reply = _ask(runtime, question)
        assert reply.text.startswith(answer), (question, reply.text)


def test_a_sentence_two_files_share_is_quoted_once(runtime: Runtime, tmp_path: Path) -> None:
    sentence = "Store the vacuum at room temperature for the longest battery life."
    (tmp_path / "aero200.txt").write_text(f"Aero 200 care\n\n{sentence}\n", encoding="utf-8")
    wrapped = sentence.replace(" for the", "\nfor the")  # as a PDF's line would wrap it
    _ingest(runtime, tmp_path / "aero300.txt", f"Aero 300 care\n\n{wrapped}\n")
    ingest_paths([tmp_path / "aero200.txt"], runtime.store, show_progress=False)
    reply = _ask(runtime, "How should I store the vacuum?")
    assert one_line(reply.text).count("room temperature") == 1, reply.text


def test_a_sentence_is_about_its_documents_subject(runtime: Runtime, tmp_path: Path) -> None:
    # Two models' guides say the same things in the same words; only their titles tell them
    # apart, and the question names one. The other's table names its model in every row.
    (tmp_path / "aero300.txt").write_text(
        "Aero 300 Quick-Start Guide\n\nThank you for choosing the vacuum.\n\nSpecifications\n\n"
        "Dust bin capacity | 0.6 litres\n\nWeight | 2.4 kg\n\nPrice | $299\n",
        encoding="utf-8",
    )
    (tmp_path / "aero500.txt").write_text(
        "Aero 500 Pro Quick-Start Guide\n\nThank you for choosing the vacuum.\n\nSpecifications"
        "\n\nSpecification: Dust bin capacity | Aero 500 Pro: 0.8 litres\n\n"
        "Specification: Weight | Aero 500 Pro: 2.8 kg\n\n"
        "Specification: Price | Aero 500 Pro: $499\n",
        encoding="utf-8",
    )
    ingest_paths([tmp_path], runtime.store, show_progress=False)
    for question, answer in [
        ("What is the dust bin capacity of the Aero 300?", "Dust bin capacity | 0.6 litres"),
        ("How much does the Aero 300 weigh?", "Weight | 2.4 kg"),
        ("How much does the Aero 300 cost?", "Price | $299"),
    ]:
        reply = _ask(runtime, question)
        assert reply.text.startswith(answer), (question, reply.text)
    # A model of the range that no document has is not answered with another's figures.
    reply = _ask(runtime, "What is the dust bin capacity of the Aero 400?")
    assert reply.abstained and reply.text == "I can't find Aero 400 in your documents."
    reply = _ask(runtime, "aero 400 dust bin")  # as people type
    assert reply.abstained and reply.text == "I can't find aero 400 in your documents."
    assert reply.confidence == 0.0  # not "confidence 93%" under "I can't find"


def test_a_question_of_price_is_answered_with_a_sum_of_money(
    runtime: Runtime, tmp_path: Path
) -> None:
    _ingest(
        runtime,
        tmp_path / "kettle.html",
        "<html><head><title>Acme Kettle - Homewell Store</title></head><body><main>"
        "<h1>Acme Kettle</h1><div class='price'>\n<s>$59.99</s>\n<b>$39.99</b> Save $20.00\n"
        "</div><p>The kettle weighs 1.2 kg and boils 1.7 litres in three minutes.</p>"
        "<p>It switches itself off 30 seconds after it boils.</p></main></body></html>",
    )
    for question in ("How much is the Acme Kettle?", "What is the price of the kettle?"):
        reply = _ask(runtime, question)
        assert reply.text.startswith("$39.99 Save $20.00"), (question, reply.text)


def test_a_lists_item_is_quoted_under_its_lead_in(runtime: Runtime, tmp_path: Path) -> None:
    # Alone, "• fines for parking offences;" reads as a yes to "Is parking reimbursed?".
    _ingest(
        runtime,
        tmp_path / "expenses.txt",
        "Expenses policy\n\n4.2 Hotels are booked through the travel portal.\n\n"
        "4.3 The following are not reimbursable:\n\n"
        "- alcohol, except when entertaining clients with prior approval;\n"
        "- in-room films and minibar charges;\n"
        "- fines for parking or speeding offences;\n"
        "- upgrades paid for by the employee's own choice.\n\n"
        "4.4 Mileage is paid at 45p per mile.\n",
    )
    reply = _ask(runtime, "Are parking fines reimbursed?")
    assert reply.text.startswith(
        "4.3 The following are not reimbursable: • … • fines for parking or speeding offences;"
    ), reply.text
    cited = reply.citations[0]
    assert cited.supporting_sentence == (
        "4.3 The following are not reimbursable: … - fines for parking or speeding offences;"
    )
    # The items between are not highlighted: the cited one would hide among them.
    marks = re.findall(r"<mark>(.*?)</mark>", sources_html(reply.citations, 1, reply), re.DOTALL)
    assert marks == [
        "4.3 The following are not reimbursable:",
        "- fines for parking or speeding offences;",
    ]


def test_the_current_edition_answers_before_a_superseded_one(
    runtime: Runtime, tmp_path: Path
) -> None:
    for year, days in (("2023", "two"), ("2024", "three")):
        (tmp_path / f"remote-{year}.txt").write_text(
            f"Remote Work Policy {year}\n\nEligible employees may work remotely for up to {days} "
            "days per week.\n\nRequests go to your line manager.\n",
            encoding="utf-8",
        )
    (tmp_path / "VPN-setup-old-2021.txt").write_text(
        "VPN setup\n\nConnect to vpn.example.com with the Cisco client.\n", encoding="utf-8"
    )
    (tmp_path / "VPN-setup.txt").write_text(
        "VPN setup\n\nConnect with WireGuard, using the config from the portal.\n",
        encoding="utf-8",
    )
    ingest_paths([tmp_path], runtime.store, show_progress=False)
    for question, answer in [
        ("How many days a week can I work remotely?", "up to three days"),
        ("How many days a week could I work remotely under the 2023 policy?", "up to two days"),
        ("How do I connect to the VPN?", "Connect with WireGuard"),
        ("How did I connect to the old VPN?", "Connect to vpn.example.com"),
    ]:
        reply = _ask(runtime, question)
        assert answer in reply.text.split(" [")[0], (question, reply.text)


def test_a_misspelt_question_is_answered_as_spelt_right(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(
        runtime,
        tmp_path / "travel.txt",
        "Travel policy\n\n4.3 Hotels are booked through the travel portal.\n\n"
        "4.4 Mileage for using a private car is paid at 45p per mile for the first 10,000 "
        "miles in a tax year.\n\n4.5 Taxis are allowed after 10pm.\n",
    )
    for question in ("What is the mileage rate?", "What is the milage rate?"):
        reply = _ask(runtime, question)
        assert not reply.abstained, (question, reply.text)
        assert reply.text.startswith("4.4 Mileage"), (question, reply.text)
    assert _ask(runtime, "What is the milage rate?").standalone_query == (
        "What is the milage rate?"  # the search is the user's; only the reading is respelt
    )


def test_a_time_of_day_is_read_as_the_programme_writes_it(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(
        runtime,
        tmp_path / "programme.md",
        "# Summit programme\n\n| Time | Session | Speaker | Room |\n|---|---|---|---|\n"
        "| 09:30 | Opening keynote | Maria Lund | Hall A |\n"
        "| 14:00 | Real-time dashboards | Kenji Mori | Studio 2 |\n"
        "| 17:00 | Drinks reception | – | Terrace Bar |\n",
    )
    for question in ("Who speaks at 14:00?", "Who speaks at 2pm?", "Who speaks at 2 p.m.?"):
        reply = _ask(runtime, question)
        assert not reply.abstained, (question, reply.text)
        assert "Kenji Mori" in reply.text.split("[1]")[0], (question, reply.text)


def test_an_unwritten_pages_placeholder_is_no_answer(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(runtime, tmp_path / "Parking-at-Leeds.md", "# Parking at Leeds\n\nTODO: write this\n")
    reply = _ask(runtime, "Where can I park at the Leeds office?")
    assert reply.abstained and reply.text == NOT_FOUND, reply.text
    # Nor is a page of questions only: nothing on it answers.
    _ingest(runtime, tmp_path / "quiz.md", "# Quiz\n\n1. What is mitosis?\n2. What is meiosis?\n")
    reply = _ask(runtime, "What is mitosis?")
    assert reply.abstained and reply.text == NOT_FOUND, reply.text


def test_a_how_to_question_is_answered_with_all_the_steps(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(
        runtime,
        tmp_path / "VPN-setup.md",
        "# VPN setup\n\nYou need the VPN to reach the build server.\n\n## Steps\n\n"
        "1. Install the WireGuard client from the Company Portal.\n\n"
        "2. Sign in at the portal with your account. You will be asked to approve the sign-in.\n\n"
        "3. Import the config file and click Connect.\n\n## Contacts\n\nTom owns the VPN.\n",
    )
    reply = _ask(runtime, "How do I connect to the VPN?")
    assert reply.text == (
        "Steps 1. Install the WireGuard client from the Company Portal. 2. Sign in at the portal "
        "with your account. You will be asked to approve the sign-in. 3. Import the config file "
        "and click Connect. [1]"
    ), reply.text


def test_a_yes_no_question_the_policy_answers_is_answered(runtime: Runtime, tmp_path: Path) -> None:
    _ingest(
        runtime,
        tmp_path / "travel-policy.md",
        "Travel and Expenses Policy\n\n"
        "3.2 Employees may stay with friends or family instead of a hotel and claim a flat rate "
        "of £30 per night.\n\n"
        "4.1 Expense claims must be submitted through the Expensify app within 30 days of the end "
        "of the trip. Claims submitted after 90 days will not be paid.\n\n"
        "4.2 Every claim over £10 must be supported by an itemised receipt.\n\n"
        "4.3 The following are not reimbursable:\n\n"
        "- alcohol, except when entertaining clients with prior approval;\n"
        "- in-room films and minibar charges;\n"
        "- fines for parking or speeding offences.\n\n"
        "4.4 Mileage for using a private car is paid at 45p per mile.\n",
    )
    # The reranker reads a yes/no question as barely answered by the rule that settles it.
    for question in ("Can I claim for alcohol?", "can i expense beer with a client"):
        reply = _ask(runtime, question)
        assert not reply.abstained, (question, reply.confidence)
        assert reply.text.startswith("4.3 The following are not reimbursable: • alcohol"), (
            question,
            reply.text,
        )
    # Named nowhere, and nothing alike: still not in the documents.
    for question in (
        "Can I claim for my spouse's flight?",
        "Can I bring my dog on a business trip?",
    ):
        reply = _ask(runtime, question)
        assert reply.abstained, (question, reply.text)


def test_a_span_in_years_or_words_answers_how_long() -> None:
    assert not _gives_no_measure("How long did the war last?", "It ran from 1914 to 1918.")
    assert not _gives_no_measure("How long did they rule?", "They ruled for decades.")
    assert not _gives_no_measure("How far is the port?", "It lies 30 km away.")
    assert _gives_no_measure("How long is the highway?", "The highway links Pakistan and China.")
    assert _gives_no_measure("How tall is the tower?", "The tower was built in 1990.")
    assert not _gives_no_measure("When was the tower built?", "The tower rose quickly.")


def test_what_else_quotes_what_the_conversation_has_not(sample_runtime: Runtime) -> None:
    first = _ask(sample_runtime, "What did Wang Yi say?")
    history = [Turn("What did Wang Yi say?", first.standalone_query, first.text)]
    quoted = [c.supporting_sentence for c in first.citations]
    assert quoted
    for question in ("What else did he say?", "Tell me more"):
        reply = _ask(sample_runtime, question, history)
        assert not reply.abstained, (question, reply.text)
        assert not any(sentence in reply.text for sentence in quoted), (question, reply.text)
        history.append(Turn(question, reply.standalone_query, reply.text))
    # Asked afresh, without "else", the same question quotes the same sentences.
    again = _ask(sample_runtime, "What did Wang Yi say?", history)
    assert quoted[0] in again.text


def test_what_the_documents_say_on_a_topic_is_searched_as_the_topic(
    sample_runtime: Runtime,
) -> None:
    # As asked, "both sides" found the passages that say "both sides", none on terrorism.
    reply = _ask(sample_runtime, "What did both sides say about terrorism?")
    assert not reply.abstained and "terrorism" in reply.text.split("[1]")[0], reply.text
    assert reply.standalone_query == "terrorism"  # what was searched, shown as such
    assert reply.question == "What did both sides say about terrorism?"
    # A topic the documents do not cover is declined all the same.
    assert _ask(sample_runtime, "What was said about the weather in Oslo?").abstained


def test_what_two_people_said_quotes_each_of_them(sample_runtime: Runtime) -> None:
    # Quoted as the best two sentences, both were Wang Yi's.
    reply = _ask(sample_runtime, "What did Wang Yi and Ishaq Dar say?")
    first, second = (part.strip() for part in re.split(r"\[\d+\]", reply.text)[:2])
    assert first.startswith("Wang Yi") and second.startswith("Ishaq Dar"), reply.text
