"""The CloudEvents 1.0 envelope every event travels in (structured JSON mode)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared.context import request_id_var, traceparent_var
from shared.ids import new_id, utcnow

CONTENT_TYPE = "application/cloudevents+json"
_FORMAT = JSONFormat()


class MalformedEvent(ValueError):
    """The bytes are not a valid CloudEvent; such a message can never succeed and goes to the DLQ."""


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    type: str
    source: str
    data: dict[str, Any]
    subject: str | None = None
    id: str = field(default_factory=lambda: str(new_id()))
    time: datetime = field(default_factory=utcnow)
    # Extensions: the request that caused the event, and the W3C trace context, so one resident's
    # request can be followed across services.
    request_id: str | None = None
    traceparent: str | None = None

    @classmethod
    def new(cls, type: str, source: str, data: dict[str, Any], subject: str | None = None) -> EventEnvelope:
        """An event caused by the current request: it inherits the request id and trace context."""
        return cls(
            type=type,
            source=source,
            data=data,
            subject=subject,
            request_id=request_id_var.get(),
            traceparent=traceparent_var.get(),
        )

    def to_cloudevent(self) -> CloudEvent:
        attributes: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "specversion": "1.0",
            "time": self.time,
            "datacontenttype": "application/json",
        }
        if self.subject is not None:
            attributes["subject"] = self.subject
        if self.request_id is not None:
            attributes["requestid"] = self.request_id
        if self.traceparent is not None:
            attributes["traceparent"] = self.traceparent
        return CloudEvent(attributes, self.data)

    def to_json(self) -> bytes:
        return _FORMAT.write(self.to_cloudevent())

    @classmethod
    def from_json(cls, body: bytes | str) -> EventEnvelope:
        try:
            event = _FORMAT.read(None, body)
        except Exception as error:  # the library raises several kinds; all mean "not an event"
            raise MalformedEvent(str(error)) from error
        data = event.get_data()
        if isinstance(data, (bytes, str)):
            try:
                data = json.loads(data)
            except ValueError as error:
                raise MalformedEvent("data is not JSON") from error
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise MalformedEvent("data must be a JSON object")
        attributes = event.get_attributes()
        time = event.get_time() or utcnow()
        return cls(
            type=event.get_type(),
            source=event.get_source(),
            data=data,
            subject=event.get_subject(),
            id=event.get_id(),
            time=time,
            request_id=attributes.get("requestid"),
            traceparent=attributes.get("traceparent"),
        )
