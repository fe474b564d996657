from qa_bot.condense import Turn, condense


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
    # "What's" opens the question; it names nothing.
    assert condense("And step 7?", [_turn("What's step 6 of the installation?")]) == (
        "And step 7? (installation)"
    )


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
    # After a question about the text, "And …?" asks it of something else.
    history = [_turn("Who chaired the meeting?")]
    assert condense("And the pancakes?", history) != "Summarize the pancakes"
