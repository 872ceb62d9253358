"""Small question banks shared by the tests of the trainer's outputs (certificate, xAPI)."""

FINAL = """\
quiz: final
title: Final assessment
lesson: 02_final.ipynb
mode: assessment
pass_mark: 80
questions:
  - id: f-safe
    type: true_false
    section: Safety
    prompt: Critical statement.
    answer: true
    critical: true
    explanation: Because it is safe.
  - id: f-one
    type: single_choice
    section: Safety
    prompt: Pick a.
    options:
      - {id: a, text: A, correct: true}
      - {id: b, text: B}
    explanation: Because.
  - id: f-two
    type: true_false
    section: Safety
    prompt: This is false.
    answer: false
    explanation: Because.
  - id: f-three
    type: numeric
    section: Safety
    prompt: Ten?
    answer: 10
    explanation: Because.
  - id: f-four
    type: single_choice
    section: Safety
    prompt: Pick c.
    options:
      - {id: c, text: C, correct: true}
      - {id: d, text: D}
    explanation: Because.
"""
"""A five-question assessment with one safety-critical question (f-safe); pass mark 80%."""

PRACTICE = """\
quiz: basics
title: The basics
lesson: 01_basics.ipynb
mode: practice
questions:
  - id: b-tf
    type: true_false
    section: One
    prompt: This is true.
    answer: true
    explanation: Because.
"""
"""A one-question practice bank (a lesson beside the assessment)."""

RIGHT = {"f-safe": True, "f-one": "a", "f-two": False, "f-three": 10, "f-four": "c"}
"""Every answer of :data:`FINAL` right (full marks)."""
