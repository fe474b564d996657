from qa_bot.answers import NOT_FOUND
from qa_bot.condense import Turn, condense, topic_of
from qa_bot.embeddings import SentenceEmbedder


def _turn(question: str) -> Turn:
    return Turn(question, question, "an answer")


def test_first_question_is_unchanged() -> None:
    assert condense("  Who founded Harvard? ", []) == "Who founded Harvard?"


def test_pronoun_is_replaced_by_named_subject() -> None:
    history = [_turn("What did Genghis Khan conquer?")]
    assert condense("When was he born?", history) == "When was Genghis Khan born?"
    assert condense("What was his wife called?", history) == "What was Genghis Khan's wife called?"


def test_elliptic_question_carries_the_topic() -> None:
    history = [_turn("Who co-chaired the dialogue?")]
    assert condense("Where will the next round be held?", history) == (
        "Where will the next round be held? (co-chaired dialogue)"
    )
    # "Am" and "Must" open a question as "Is" does: they name nothing.
    assert condense(
        "What's the most they'll pay for that?", [_turn("Am I covered for theft?")]
    ) == ("What's the most they'll pay for that? (covered theft)")
    assert condense("Who approves it?", [_turn("Must I book trains through the agent?")]) == (
        "Who approves it? (book trains through agent)"
    )
    # "What's" opens the question; it names nothing.
    assert condense("And step 7?", [_turn("What's step 6 of the installation?")]) == (
        "And step 7? (installation)"
    )


def test_a_short_question_that_names_its_subject_is_a_new_one() -> None:
    history = [_turn("When did the dialogue take place?")]
    assert condense("What is CPEC?", history) == "What is CPEC?"
    assert condense("Who is Wang Yi?", history) == "Who is Wang Yi?"
    assert condense("Why?", history) == "Why? (dialogue take place)"


def test_a_what_if_asks_the_previous_question_on_its_condition() -> None:
    history = [_turn("Can I cancel my policy?")]
    assert condense("What if I've already made a claim?", history) == (
        "Can I cancel my policy if I've already made a claim?"
    )
    # A second what-if replaces the first one's condition rather than piling on.
    history.append(
        Turn(
            "What if I've already made a claim?",
            condense("What if I've already made a claim?", history),
            "…",
        )
    )
    assert condense("And what if I moved house?", history) == (
        "Can I cancel my policy if I moved house?"
    )
    # A what-if after an overview is a question of its own.
    assert condense("What if I lose my key?", [_turn("Summarize the handbook")]) == (
        "What if I lose my key?"
    )


def test_a_pronoun_after_a_question_that_named_no_one_means_whom_the_answer_named() -> None:
    history = [
        Turn(
            "Who is stepping down this year?",
            "Who is stepping down this year?",
            "David Chen will step down as Chief Financial Officer in March. [1]",
        )
    ]
    assert condense("Who will replace him?", history) == "Who will replace David Chen?"
    # A question that named someone keeps them; a declined one names no one.
    asked = "Who did Genghis Khan conquer?"
    named = [Turn(asked, asked, "The Khwarazmian Empire fell. [1]")]
    assert condense("When was he born?", named) == "When was Genghis Khan born?"
    declined = [Turn("Who is leaving?", "Who is leaving?", "I can't find that in your documents.")]
    assert condense("Who will replace him?", declined) == "Who will replace him? (leaving)"


def test_self_contained_question_is_left_alone() -> None:
    history = [_turn("What did the two countries say about the Khunjerab Pass?")]
    assert condense("Who co-chaired the dialogue?", history) == "Who co-chaired the dialogue?"
    assert condense("What is the population of Lahore?", history) == (
        "What is the population of Lahore?"
    )


def test_another_document_after_an_overview_is_summarized_too() -> None:
    history = [_turn("Summarize the handbook")]
    assert condense("And the pancakes?", history) == "Summarize the pancakes"
    assert condense("what about the FAQ", history) == "Summarize the FAQ"
    # A request for an overview stands on its own: with the subject added, it was none.
    assert condense("What is this document about?", history) == "What is this document about?"
    # After a question about the text, "And …?" asks it of something else.
    history = [_turn("Who chaired the meeting?")]
    assert condense("And the pancakes?", history) != "Summarize the pancakes"


def test_a_pronoun_after_a_possessive_means_whom_it_can() -> None:
    history = [_turn("Who is Nora's brother?")]
    assert condense("Where did he go after Dublin?", history) == (
        "Where did Nora's brother go after Dublin?"
    )
    assert condense("Who is she marrying?", history) == "Who is Nora marrying?"
    history = [_turn("What was the name of Michael Dolan's boat?")]
    assert condense("Who is his sister?", history) == "Who is Michael Dolan's sister?"
    history = [_turn("How many of Warsaw's inhabitants spoke Polish?")]
    assert condense("What was its GDP?", history) == "What was Warsaw's GDP?"
    history = [_turn("Who was Helen Marsh's younger sister?")]
    assert condense("When was she born?", history) == "When was Helen Marsh's younger sister born?"


def test_he_after_what_someone_said_means_the_speaker() -> None:
    history = [_turn("What did Wang Yi say about Venezuela?")]
    assert condense("What else did he say?", history) == "What else did Wang Yi say?"
    history = [_turn("What did Queen Elizabeth say about the Commonwealth Games?")]
    assert condense("Where was she born?", history) == "Where was Queen Elizabeth born?"


def test_and_what_about_ask_the_previous_question_of_something_else() -> None:
    history = [_turn("How much does the Aero 300 weigh?")]
    assert condense("What about the 500 Pro?", history) == "How much does the 500 Pro weigh?"
    assert condense("And the Aero 200?", history) == "How much does the Aero 200 weigh?"
    # A question of its own is not a "what about": it keeps the subject, number and all.
    assert condense("And how loud is it?", history) == "And how loud is Aero 300?"
    # Typed in lower case, a model is known by its number.
    history = [_turn("how long is the warranty on the aero 500")]
    assert condense("and the 200?", history) == "how long is the warranty on the aero 200"
    history = [_turn("What are the core hours under the 2024 policy?")]
    assert condense("And in 2023?", history) == "What are the core hours under the 2023 policy?"
    history = [_turn("What was Brightwater's revenue in 2023?")]
    assert condense("What about 2022?", history) == "What was Brightwater's revenue in 2022?"
    assert condense("And in 2022?", history) == "What was Brightwater's revenue in 2022?"
    history = [_turn("Can I work from abroad?")]
    assert condense("What about under the old policy?", history) == (
        "Can I work from abroad under the old policy?"
    )
    history = [_turn("Summarize the handbook")]
    assert condense("And how long is it?", history) == "And how long is it? (handbook)"
    # "And its warranty?" is more of the same subject.
    history = [_turn("How heavy is the 500 Pro?")]
    assert condense("And its warranty?", history) == "And 500 Pro's warranty?"
    history = [_turn("What's the address of the Leeds office?")]
    assert condense("And the Bristol one?", history) == "What's the address of the Bristol office?"


def test_a_follow_up_keeps_the_conversations_named_subject() -> None:
    # "About holidays" asks the question about payroll of holidays.
    assert condense("And about holidays?", [_turn("Who do I ask about payroll?")]) == (
        "Who do I ask about holidays?"
    )
    # A question between that names nothing does not lose the VPN.
    history = [_turn("How do I connect to the VPN?"), _turn("How long is the config valid for?")]
    assert condense("Who do I contact if it doesn't work?", history) == (
        "Who do I contact if VPN doesn't work?"
    )


def test_and_for_something_else_swaps_the_word_it_stands_for(embedder: SentenceEmbedder) -> None:
    def asked(previous: str, question: str) -> str:
        return condense(question, [_turn(previous)], embedder)

    assert asked("How many days of paternity leave do I get?", "And for adoption?") == (
        "How many days of adoption leave do I get?"
    )
    assert asked("How many days of leave do I get if my grandmother dies?", "And an uncle?") == (
        "How many days of leave do I get if my uncle dies?"
    )
    assert asked("How much is the deposit?", "And the rent?") == "How much is the rent?"
    # The same thing under another preposition needs no likeness.
    assert condense("And during probation?", [_turn("What is the notice after probation?")]) == (
        "What is the notice during probation?"
    )
    # A word like none of the question's is asked with the question's words.
    assert asked("How many days of annual leave do I get?", "And for contractors?") == (
        "How many days of annual leave do I get for contractors?"
    )
    # Another kind of the same thing takes the place of the kind asked of.
    assert asked("Does the policy cover accidental damage?", "What about storm damage?") == (
        "Does the policy cover storm damage?"
    )
    assert asked("How many days of paternity leave do I get?", "And shared parental leave?") == (
        "How many days of shared parental leave do I get?"
    )
    # Else what the question ends by asking of: it had stayed, "burglary storm damage".
    assert asked("Am I covered for burglary?", "What about storm damage?") == (
        "Am I covered for storm damage?"
    )
    assert asked("How much is the excess for escape of water?", "What about subsidence?") == (
        "How much is the excess for subsidence?"
    )


def test_a_time_of_day_is_carried_as_a_subject() -> None:
    for time in ("14:00", "2pm"):
        history = [_turn(f"Who speaks at {time}?")]
        assert condense("Which room is that in?", history) == (
            f"Which room is that in? (speaks {time})"
        )


def test_a_question_of_what_is_said_on_a_topic_names_the_topic() -> None:
    assert topic_of("What did both sides say about terrorism?") == "terrorism"
    assert topic_of("what was mentioned regarding the new pension scheme?") == (
        "the new pension scheme"
    )
    assert topic_of("What does the report say on pay?") == "pay"
    # A speaker of its own is part of the question: not a topic question.
    assert topic_of("What did Wang Yi say about Venezuela?") is None
    assert topic_of("What is the report about?") is None


def test_what_else_asks_the_last_question_again() -> None:
    said = [Turn("What did Ishaq Dar say?", "What did Ishaq Dar say?", "Ishaq Dar said … [1]")]
    for question in ("What else?", "Anything else?", "Tell me more.", "And what else?", "More"):
        assert condense(question, said) == "What did Ishaq Dar say?", question
    # Not after a declined one: there is nothing to add to.
    declined = [Turn("What did Ishaq Dar say?", "What did Ishaq Dar say?", NOT_FOUND)]
    assert condense("What else?", declined) != "What did Ishaq Dar say?"
    # A question of its own that says "else" is its own, of others than the subject.
    other = condense("Who else attended the dialogue?", said)
    assert other == "Who else attended the dialogue? (Ishaq Dar)"
