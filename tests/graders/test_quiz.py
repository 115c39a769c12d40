"""Practice quizzes answer a click at once, with the explanation; graded answers are recorded."""

from __future__ import annotations

import pytest

from graders import quiz

QUESTIONS = [
    {"q": "2 + 2?", "choices": ["3", "4", "5"], "answer": 1, "explain": "Two and two are four."},
    {"q": "Gradients accumulate?", "choices": ["yes", "no"], "answer": 0, "explain": "They add up."},
]


def test_feedback():
    q = quiz.Question.of(QUESTIONS[0])
    assert quiz.feedback(q, None) == (None, "Pick an answer first.")
    assert quiz.feedback(q, 1) == (True, "✓ Right. Two and two are four.")
    right, text = quiz.feedback(q, 2)
    assert right is False and text.startswith("✗ Not quite: '5' is not it.")
    assert text.endswith("Two and two are four.")


def test_a_click_on_check_shows_the_verdict_and_explanation():
    box = quiz.build(QUESTIONS)
    first = box.children[0]
    assert [label for label, _ in first.radio.options] == ["a) 3", "b) 4", "c) 5"]
    first.button.click()
    assert "Pick an answer first." in first.result.value
    first.radio.value = 2
    first.button.click()
    assert "Not quite" in first.result.value and "Two and two are four." in first.result.value
    first.radio.value = 1
    first.button.click()
    assert "✓ Right." in first.result.value
    assert box.children[1].result.value == ""  # the other question is untouched


def test_without_widgets_the_quiz_is_printed(capsys):
    assert quiz.practice(QUESTIONS, use_widgets=False) is None
    out = capsys.readouterr().out
    assert "1. 2 + 2?\n   a) 3\n   b) 4\n   c) 5" in out
    assert "1. b) Two and two are four." in out and "2. a) They add up." in out


def test_outside_a_kernel_practice_prints():
    assert quiz._in_kernel() is False


def test_answer_must_index_the_choices():
    with pytest.raises(ValueError, match="answer must index its choices"):
        quiz.Question.of({"q": "?", "choices": ["a"], "answer": 3, "explain": ""})


def test_recorded_answers(capsys):
    quiz.recorded({"q1": "B ", "q2": None, "q3": "z"})
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "2 of 3 answers recorded:",
        "  q1: 'b'",
        "  q2: not answered yet",
        "  q3: 'z' is not one of a, b, c, d",
    ]
