"""The course service: grading and records a clinic can trust, for many staff on JupyterHub.

On a shared JupyterHub nothing in a learner's kernel is trusted. The course service, a
hub-managed service (``course serve``), alone holds the full question banks with their keys and
the results database's credentials. A learner's kernel sends it the learner's raw answer with
its server's own JupyterHub API token; the service asks the hub whose token it is (never the
kernel), grades the answer with :mod:`course.grading`, stores it, and answers with the grade,
the feedback and the explanation. Questions reach the kernel as a :mod:`course.paper`, without
keys. Sittings of the final assessment are opened and submitted here. Trainers — members of a
hub group, ``course-trainers`` by default — read reports, score written answers, allow retakes,
set cohorts, waive lessons and issue certificates through the same service; every such action
goes to the audit trail with the trainer's hub name.

Settings, from the environment (JupyterHub sets the ``JUPYTERHUB_*`` ones for a managed service):

``JUPYTERHUB_SERVICE_URL``, ``JUPYTERHUB_SERVICE_PREFIX``
    Where to listen, and the URL prefix the hub's proxy routes to the service.
``JUPYTERHUB_API_URL``, ``JUPYTERHUB_API_TOKEN``
    The hub's API and the service's own token (to identify tokens and read group membership).
``COURSE_DB_URL``, ``COURSE_QUIZZES_DIR``, ``COURSE_DATA_DIR``
    The results database, the full banks, and the service's own folder (its outbox, its secret).
``COURSE_TRAINER_GROUP``
    The hub group whose members are trainers (default ``course-trainers``).
``COURSE_SERVICE_SECRET``
    A secret that seeds the order of choices shown to each learner (see :mod:`course.paper`);
    when unset, one is made once and kept in the service's folder (mode 0600).
``COURSE_SERVICE_THREADS``
    How many database requests run at once (default 8).
``COURSE_SERVICE_BIND``
    The address to listen on when it is not the service URL's host (``0.0.0.0`` in a container).

The package's modules, one job each: :mod:`~course.service.settings` (:class:`ServiceSettings`,
from these variables), :mod:`~course.service.state` (the ``Service`` every request shares, and
``Refused``, the API's error), :mod:`~course.service.api` (the base handlers: the hub's answer
about the token, the JSON body and errors, trainers only), :mod:`~course.service.learner_api`,
:mod:`~course.service.trainer_api`, :mod:`~course.service.verification` (public certificate
verification) and :mod:`~course.service.app` (the HTTP API's reference, the routes, the server).
"""

from course.service.app import ServiceSettings, make_app, serve

__all__ = ["ServiceSettings", "make_app", "serve"]
