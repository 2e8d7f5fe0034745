"""The ticket service and the evaluation service alone, with the fixtures of their own test folders."""

from tests.evaluation.conftest import harness  # noqa: F401
from tests.ticket.conftest import clock, http, station, ticket_app  # noqa: F401
