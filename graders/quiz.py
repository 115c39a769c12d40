"""Quizzes in chapter notebooks.

Practice quiz: ``practice(questions)`` shows each question with radio buttons and a "Check"
button that answers at once, with the explanation. Without ipywidgets (or outside a
kernel) the questions are printed, with the answers and explanations after them.

    quiz.practice([
        {"q": "What is 2 + 2?", "choices": ["3", "4"], "answer": 1, "explain": "..."},
    ])

Graded quiz: the student records letters in an ``answers = {"q1": None, ...}`` cell; the key
lives only in the chapter's hidden tests. ``recorded(answers)`` shows what is recorded,
without saying whether it is right.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

LETTERS = "abcdefgh"


@dataclass(frozen=True)
class Question:
    q: str
    choices: tuple[str, ...]
    answer: int  # index into choices
    explain: str

    @classmethod
    def of(cls, item) -> Question:
        if isinstance(item, Question):
            return item
        choices = tuple(item["choices"])
        answer = item["answer"]
        if not (isinstance(answer, int) and 0 <= answer < len(choices)):
            raise ValueError(f"question {item['q']!r}: answer must index its choices, "
                             f"got {answer!r}")
        return cls(item["q"], choices, answer, item["explain"])


def feedback(question: Question, choice: int | None) -> tuple[bool | None, str]:
    """(right?, the text to show) for picking ``choice`` (None: nothing picked yet)."""
    if choice is None:
        return None, "Pick an answer first."
    if choice == question.answer:
        return True, f"✓ Right. {question.explain}"
    picked = question.choices[choice]
    return False, f"✗ Not quite: {picked!r} is not it. {question.explain}"


def _widget(question: Question, number: int, widgets):
    title = widgets.HTML(f"<b>{number}. {html.escape(question.q)}</b>")
    options = [(f"{LETTERS[i]}) {text}", i) for i, text in enumerate(question.choices)]
    radio = widgets.RadioButtons(options=options, value=None,
                                 layout=widgets.Layout(width="max-content"))
    button = widgets.Button(description="Check", button_style="primary")
    result = widgets.HTML("")

    def on_click(_button):
        right, text = feedback(question, radio.value)
        color = {True: "#1a7f37", False: "#b42318", None: "#555"}[right]
        result.value = f'<div style="color:{color}">{html.escape(text)}</div>'

    button.on_click(on_click)
    box = widgets.VBox([title, radio, button, result])
    box.radio, box.button, box.result = radio, button, result  # for tests and curious readers
    return box


def _text(questions: list[Question]) -> str:
    lines = []
    for n, q in enumerate(questions, 1):
        lines.append(f"{n}. {q.q}")
        lines += [f"   {LETTERS[i]}) {c}" for i, c in enumerate(q.choices)]
        lines.append("")
    lines.append("Answers (cover them up first!):")
    for n, q in enumerate(questions, 1):
        lines.append(f"{n}. {LETTERS[q.answer]}) {q.explain}")
    return "\n".join(lines)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def build(questions):
    """The practice quiz as an ipywidgets box (one VBox per question), not displayed."""
    import ipywidgets as widgets

    questions = [Question.of(q) for q in questions]
    return widgets.VBox([_widget(q, n, widgets) for n, q in enumerate(questions, 1)])


def practice(questions, *, use_widgets: bool | None = None) -> None:
    """Show a practice quiz: widgets in a kernel when ipywidgets is installed, else text."""
    questions = [Question.of(q) for q in questions]
    if use_widgets is None:
        use_widgets = _in_kernel()
    if use_widgets:
        try:
            box = build(questions)
        except ImportError:
            box = None
        if box is not None:
            from IPython.display import display

            display(box)
            return
    print(_text(questions))


def recorded(answers: dict, choices: str = "abcd") -> None:
    """Print the recorded answers of a graded quiz (not whether they are right)."""
    lines = []
    for key in sorted(answers):
        value = answers[key]
        if value is None:
            lines.append(f"  {key}: not answered yet")
        elif isinstance(value, str) and value.strip().lower() in choices:
            lines.append(f"  {key}: {value.strip().lower()!r}")
        else:
            lines.append(f"  {key}: {value!r} is not one of {', '.join(choices)}")
    answered = sum(v is not None for v in answers.values())
    print(f"{answered} of {len(answers)} answers recorded:")
    print("\n".join(lines))
