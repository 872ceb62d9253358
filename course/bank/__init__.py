"""Question banks: load the YAML files in ``quizzes/`` into typed models, or say exactly what is wrong.

A bank that is wrong fails loudly at load time. Every problem of a file is collected (not only
the first) and reported as ``file:line: question-id: field: message``, in words a course author
understands. The format itself is documented in ``docs/writing-questions.md``.

The models are pydantic v2 classes; the question types are a discriminated union on ``type``.
Each question is validated on its own, so a mistake in one question never hides the others.

The package's modules, one job each: :mod:`~course.bank.models` (the pydantic models:
:data:`Question`, :class:`Bank`, :class:`Draw`, :class:`Blueprint`), :mod:`~course.bank.problems`
(:class:`Problem`, :class:`BankError`), :mod:`~course.bank.wording` (pydantic's errors in an
author's words), :mod:`~course.bank.yaml_positions` (the YAML parsed with its lines),
:mod:`~course.bank.rules` (the checks pydantic cannot express), :mod:`~course.bank.lessons` (a
lesson's headings and sections' roles), :mod:`~course.bank.loading` (:func:`check_bank`,
:func:`check_course`, :func:`load_course`, :class:`Course`), :mod:`~course.bank.author_warnings`
(:func:`course_warnings`) and :mod:`~course.bank.disk_cache` (:func:`course_cached`, the loaded
course kept in memory and on disk).
"""

from __future__ import annotations

from course.bank.author_warnings import course_warnings
from course.bank.disk_cache import _DISK_FORMAT, _cache, course_cached
from course.bank.lessons import lesson_headings, section_roles
from course.bank.loading import Course, bank_files, check_bank, check_course, load_bank, load_course
from course.bank.models import (
    QUESTION_TYPES,
    Bank,
    Blueprint,
    Draw,
    FreeText,
    Item,
    Matching,
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    Pair,
    Question,
    Quota,
    RoleBlueprint,
    SingleChoice,
    TrueFalse,
)
from course.bank.problems import BANK_LEVEL, BankError, Problem, _display
from course.bank.rules import numeric_key_problems
from course.bank.yaml_positions import _line_of, _parse_yaml

# PyYAML is imported where a bank file is parsed, and each model's validator is built the first
# time it validates (defer_build): a lesson kernel that gets its banks from the cache
# (:func:`course_cached`) never parses YAML nor builds a validator (issue 13).

__all__ = [
    "Bank", "BankError", "Course", "Problem", "Question", "QUESTION_TYPES", "BANK_LEVEL",
    "check_bank", "check_course", "load_bank", "load_course", "bank_files", "course_cached", "course_warnings",
    "lesson_headings", "section_roles", "numeric_key_problems",
    # the models
    "SingleChoice", "MultipleChoice", "TrueFalse", "Numeric", "Ordering", "Matching", "FreeText",
    "Option", "Item", "Pair", "Draw", "Quota", "RoleBlueprint", "Blueprint",
    # also used by the course's other modules (course.assessment) and the tests
    "_display", "_line_of", "_parse_yaml", "_cache", "_DISK_FORMAT",
]
