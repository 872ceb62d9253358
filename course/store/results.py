"""The results store itself: :class:`ResultsStore`, its parts combined in one class.

Each group of its methods is a mixin in the module of its subject (:mod:`~course.store.recording`,
:mod:`~course.store.answers`, :mod:`~course.store.people`, :mod:`~course.store.trainers`,
:mod:`~course.store.certification`, :mod:`~course.store.auditing`); the engine, transactions and
housekeeping are its base, :class:`~course.store.connection.StoreConnection`.
"""

from __future__ import annotations

from course.store.answers import AnswersMixin
from course.store.auditing import AuditMixin
from course.store.certification import CertificatesMixin
from course.store.connection import StoreConnection
from course.store.people import LearnersMixin
from course.store.recording import RecordingMixin
from course.store.trainers import ReviewsMixin


class ResultsStore(RecordingMixin, AnswersMixin, LearnersMixin, ReviewsMixin, CertificatesMixin, AuditMixin, StoreConnection):
    """The learners' attempts, the trainers' reviews and retakes, in one database."""
