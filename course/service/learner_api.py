"""The course service's handlers for learners — any hub user whose token may reach the service:
who you are, a quiz's mode and practice questions, answers, sittings of the assessment, your
progress, your course home and your role — and ``GET health``, which needs no token.
"""

from __future__ import annotations

import json

from tornado import web

from course import __version__, wire
from course.service.api import Api, Refused, _text
from course.service.state import Service


class Health(web.RequestHandler):
    def initialize(self, service: Service) -> None:
        self.service = service

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": True, "version": __version__}))


class Me(Api):
    async def get(self) -> None:
        trainers = await self.service.trainers()
        self.reply({"name": self.user, "trainer": self.user in trainers})


class Quiz(Api):
    async def get(self, quiz: str) -> None:
        mode = await self.call(lambda: self.service.course().bank(quiz).mode)
        self.reply({"quiz": quiz, "mode": mode})


class PracticeQuestions(Api):
    async def get(self, quiz: str) -> None:
        section = self.get_argument("section", None)
        practice = await self.call(lambda: self.service.session(self.user).practice(quiz, section))
        self.reply(wire.practice_to_json(practice))


class Answers(Api):
    async def post(self, quiz: str) -> None:
        data = self.body()
        question = _text(data, "question")
        key = _text(data, "key")
        answered = await self.call(lambda: self.service.session(self.user).answer(quiz, question, data.get("response"), key=key))
        self.reply(wire.answered_to_json(answered))


class OpenSitting(Api):
    async def post(self, quiz: str) -> None:
        view = await self.call(lambda: self.service.session(self.user).sitting(quiz))
        self.reply(wire.sitting_to_json(view))


class SubmitSitting(Api):
    async def post(self, quiz: str, sitting: str) -> None:
        data = self.body()
        responses = data.get("responses")
        if not isinstance(responses, dict):
            raise Refused(400, "bad_request", "'responses' must be an object: question id -> answer.")
        view = await self.call(lambda: self.service.session(self.user).submit(quiz, sitting, responses))
        self.reply(wire.sitting_to_json(view))


class Progress(Api):
    async def get(self) -> None:
        rows = await self.call(lambda: self.service.session(self.user).progress())
        self.reply(wire.progress_to_json(rows))


class CourseHome(Api):
    async def get(self) -> None:
        home = await self.call(lambda: self.service.session(self.user).home())
        self.reply(wire.home_to_json(home))


class LearnerRole(Api):
    """``GET/POST api/role``: the learner's own role (the hub says who the learner is); given once."""

    async def get(self) -> None:
        role = await self.call(lambda: self.service.session(self.user).role())
        self.reply({"learner": self.user, "role": role})

    async def post(self) -> None:
        role = _text(self.body(), "role")
        given = await self.call(lambda: self.service.session(self.user).set_role(role))
        self.reply({"learner": self.user, "role": given})
