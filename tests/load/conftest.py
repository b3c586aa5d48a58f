from tests.gateway.conftest import pg_database  # noqa: F401  (a fresh PostgreSQL database per session)
