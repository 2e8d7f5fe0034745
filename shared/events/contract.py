"""Event payloads as pydantic models: the producer's exact contract and the consumer's tolerant reading.

A producer declares one `EventPayload` per event type it emits and writes through `CheckedOutbox`: a
payload that lacks a field, carries an undeclared one or a value of the wrong JSON type is refused before
it reaches the outbox. The body on the wire is the producer's own dict, unchanged.

A consumer declares one `EventReader` per event type it takes (only the fields it uses, anything else
allowed) and registers through `CheckedConsumer`: an incoming payload is parsed through the reader before
the handler runs, and one that cannot be read can never succeed (the DLQ).

Producer and consumer never import each other's models: they meet in the published AsyncAPI documents
(`shared.asyncapi`), where a contract test compares them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.bus import PermanentFailure, matches
from shared.events.envelope import EventEnvelope
from shared.events.inbox import EventConsumer, ManySessionHandler, SessionHandler
from shared.events.outbox import Outbox

_FORMAT = JSONFormat()


class EventPayload(BaseModel):
    """What a producer emits: every field, nothing else, each of its JSON type (strict)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class EventReader(BaseModel):
    """What a consumer reads of an event: only the fields it uses; any other field is allowed."""

    model_config = ConfigDict(extra="allow")


class UndeclaredEvent(ValueError):
    """A producer tried to emit an event type it has no payload model for."""


class InvalidPayload(ValueError):
    """A producer's payload does not match its event type's model."""


def payload_json(data: Mapping[str, Any]) -> bytes:
    """The payload as the envelope writes it (datetimes as ISO strings)."""
    return _FORMAT.write_data(dict(data), "application/json")


def check_payload(models: Mapping[str, type[EventPayload]], event_type: str, data: Mapping[str, Any]) -> None:
    """Raises unless `data`, as it goes on the wire, is exactly what the event type's model describes."""
    model = models.get(event_type)
    if model is None:
        raise UndeclaredEvent(f"undeclared event type {event_type}")
    try:
        model.model_validate_json(payload_json(data), strict=True)
    except ValidationError as error:
        raise InvalidPayload(f"{event_type} payload does not match {model.__name__}: {error}") from error


def payload_dict(data: Mapping[str, Any] | EventPayload) -> dict[str, Any]:
    """A dict goes on the wire as it is; a model instance in pydantic's JSON form (its times end in `Z`
    where `datetime.isoformat()` writes `+00:00`: both are RFC 3339)."""
    if isinstance(data, EventPayload):
        return data.model_dump(mode="json")
    return dict(data)


class CheckedOutbox(Outbox):
    """An outbox that writes only declared event types whose payloads match their models."""

    def __init__(self, source: str, payloads: Mapping[str, type[EventPayload]]) -> None:
        super().__init__(source)
        self.payloads = dict(payloads)

    def check(self, event_type: str, data: Mapping[str, Any] | EventPayload) -> dict[str, Any]:
        body = payload_dict(data)
        check_payload(self.payloads, event_type, body)
        return body

    async def add(
        self,
        session: AsyncSession,
        event_type: str,
        data: Mapping[str, Any] | EventPayload,
        subject: str | None = None,
    ) -> EventEnvelope:
        return await super().add(session, event_type, self.check(event_type, data), subject)


def reader_for(readers: Mapping[str, type[EventReader]], event_type: str) -> type[EventReader] | None:
    reader = readers.get(event_type)
    if reader is not None:
        return reader
    for pattern, candidate in readers.items():
        if matches(pattern, event_type):
            return candidate
    return None


def read_payload(readers: Mapping[str, type[EventReader]], envelope: EventEnvelope) -> EventReader | None:
    """The payload parsed through the consumer's reader. An optional field it cannot read counts as
    missing (a tolerant reader); a required one missing or unreadable is a PermanentFailure."""
    reader = reader_for(readers, envelope.type)
    if reader is None:
        return None
    data = envelope.data
    try:
        return reader.model_validate(data)
    except ValidationError as error:
        unreadable = {str(detail["loc"][0]) for detail in error.errors() if detail["loc"]}
        required = {name for name, info in reader.model_fields.items() if info.is_required()}
        if not unreadable or unreadable & required:
            raise PermanentFailure(f"{envelope.type} cannot be read as {reader.__name__}: {error}") from error
    try:
        return reader.model_validate({key: value for key, value in data.items() if key not in unreadable})
    except ValidationError as error:
        raise PermanentFailure(f"{envelope.type} cannot be read as {reader.__name__}: {error}") from error


class CheckedConsumer(EventConsumer):
    """A consumer whose handlers see only payloads its readers can parse."""

    def __init__(self, name: str, readers: Mapping[str, type[EventReader]]) -> None:
        super().__init__(name)
        self.readers = dict(readers)

    def on(self, *event_types: str) -> Callable[[SessionHandler], SessionHandler]:
        register = super().on(*event_types)

        def checked(handler: SessionHandler) -> SessionHandler:
            async def parse_then_handle(session: AsyncSession, envelope: EventEnvelope) -> None:
                read_payload(self.readers, envelope)
                await handler(session, envelope)

            parse_then_handle.__name__ = getattr(handler, "__name__", "handler")
            parse_then_handle.__doc__ = handler.__doc__
            register(parse_then_handle)
            return handler

        return checked

    def on_many(self, *event_types: str) -> Callable[[ManySessionHandler], ManySessionHandler]:
        register = super().on_many(*event_types)

        def checked(handler: ManySessionHandler) -> ManySessionHandler:
            async def parse_then_handle_many(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
                # One unreadable event fails the run; the bus then delivers the run one event at a time,
                # so only that one is dead-lettered.
                for envelope in envelopes:
                    read_payload(self.readers, envelope)
                await handler(session, envelopes)

            parse_then_handle_many.__name__ = getattr(handler, "__name__", "handler")
            parse_then_handle_many.__doc__ = handler.__doc__
            register(parse_then_handle_many)
            return handler

        return checked
