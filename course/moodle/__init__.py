"""Question banks to and from Moodle: Moodle XML and GIFT.

``course export-bank QUIZ --format moodle-xml|gift`` writes a bank's questions for Moodle's
question bank; ``course import FILE`` reads a Moodle XML or GIFT file into a course bank (YAML)
that ``course validate`` accepts.

The question types both sides have: single choice (Moodle multichoice, single), multiple choice
(multichoice with right options weighted 100/n% and wrong ones -100/n%: the course's "right minus
wrong" credit), true/false, numeric with tolerance (numerical; a range is its midpoint ± half its
width), matching (extra right-hand items: Moodle's subquestions without a question), ordering
(Moodle's qtype_ordering plugin, XML only: GIFT has no ordering question) and free text (essay).
Per-option feedback, the true/false feedback for a wrong answer and the explanation (Moodle's
general feedback; an essay's grader information too) are carried.

What Moodle has no place for — the question's id, section, safety-critical flag, topic, kind,
fact and source, the ids of options, items and pairs, a numeric question's unit aliases, a
written answer's length limit — travels in Moodle tags (``course-...``; Moodle keeps tags) in
XML, and in a ``// course: {...}`` comment line above each question in GIFT (Moodle ignores
comments), so a bank exported and imported again is the same bank. A Moodle question made
elsewhere gets its ids from its name and its section from its category.

What cannot be carried is never dropped silently: each conversion returns one line per question
and thing lost (:class:`Converted.lost`), which the command line prints.
"""

from __future__ import annotations

from course.moodle.common import Converted, MoodleError, bank_yaml, export_bank, import_file, import_text

__all__ = ["Converted", "MoodleError", "bank_yaml", "export_bank", "import_file", "import_text"]
