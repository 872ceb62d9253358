"""tests/pgserver.py with a password: scram-sha-256 on TCP and the unix socket (the hub tests' database)."""

from __future__ import annotations

import psycopg
import pytest

import pgserver

pytestmark = pytest.mark.postgres

PASSWORD = "a p@ss/word"  # characters a URL must escape


@pytest.fixture(scope="module")
def server():
    server = pgserver.start_or_skip(password=PASSWORD)
    yield server
    server.remove()


def test_the_url_carries_the_password_and_connects(server: pgserver.PostgresServer) -> None:
    with psycopg.connect(server.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("select current_user").fetchone() == ("postgres",)
    assert server.database_url("course", user="someone", password="x") == f"postgresql+psycopg://someone:x@127.0.0.1:{server.port}/course"


@pytest.mark.parametrize("host", ["tcp", "socket"])
def test_no_password_or_a_wrong_one_is_refused(server: pgserver.PostgresServer, host: str) -> None:
    where = "127.0.0.1" if host == "tcp" else str(server.sockets)
    with pytest.raises(psycopg.OperationalError, match="no password supplied"):
        psycopg.connect(host=where, port=server.port, user="postgres", dbname="postgres")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host=where, port=server.port, user="postgres", dbname="postgres", password="wrong")
