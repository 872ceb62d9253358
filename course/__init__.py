"""A Jupyter training course for the staff of a ketamine-therapy clinic.

The package is small and layered; each module has one job:

- :mod:`course.bank` loads and validates the YAML question banks in ``quizzes/``.
- :mod:`course.grading` scores a response to a question (pure, no I/O).
- :mod:`course.cli` is the ``course`` command line.

Importing :mod:`course` is cheap on purpose: lesson kernels import only what they use.
"""

__version__ = "0.1.0"
