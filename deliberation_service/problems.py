"""Turns the pure rules' refusals into problem+json: ``IllegalTransition`` is 409, ``InvalidInput`` 422."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from deliberation_service.projects.stages import IllegalTransition, InvalidInput
from shared.errors import Conflict, Unprocessable


@contextmanager
def rules() -> Iterator[None]:
    """Run pure rules; their refusals become 409 (state) or 422 (input), each with the rule's reason."""
    try:
        yield
    except IllegalTransition as error:
        raise Conflict(error.detail or error.reason.replace("_", " "), code=error.reason) from error
    except InvalidInput as error:
        raise Unprocessable(
            error.detail or error.reason.replace("_", " "), code=error.reason, field=error.field
        ) from error
