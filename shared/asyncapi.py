"""AsyncAPI 3.0 documents of the events a service sends and receives, and their merge for the gateway.

A service declares an `EventContract`: the pydantic model of each event type it produces and of each it
reads. Its document has one channel per event type (the routing key on the topic exchange), the message
with the payload's JSON Schema, and an operation per direction: `send` for what it produces, `receive` for
what it consumes. A consumer's reader schema is kept under `components.schemas` (`<service>.reads.<type>`)
and named by its operation's `x-reader`, so that a contract test can hold it against the producer's schema.

The merged document takes each channel from the service that produces it (the payload is the producer's);
a channel nobody produces keeps the reader's schema.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

ASYNCAPI_VERSION = "3.0.0"
CONTENT_TYPE = "application/json"
AMQP_BINDING_VERSION = "0.3.0"

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class EventContract:
    """What one service sends and receives. Keys are event types; a consumed key may be an AMQP topic
    pattern (`#`, `station.*`)."""

    service: str
    title: str
    source: str
    produces: Mapping[str, type[BaseModel]]
    consumes: Mapping[str, type[BaseModel]]
    descriptions: Mapping[str, str] = field(default_factory=dict)
    consumer_descriptions: Mapping[str, str] = field(default_factory=dict)


def channel_id(event_type: str) -> str:
    """A component key for an event type or topic pattern (`#` → `any_words`, `*` → `any_word`)."""
    words = ["any_words" if word == "#" else "any_word" if word == "*" else word for word in event_type.split(".")]
    return re.sub(r"[^\w.\-]", "_", ".".join(words))


def payload_schema(model: type[BaseModel]) -> JsonObject:
    """The model's JSON Schema with its `$defs` inlined: a self-contained payload schema."""
    schema = model.model_json_schema(mode="validation")
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                target = resolve(copy.deepcopy(definitions[reference.removeprefix("#/$defs/")]))
                rest = {key: resolve(value) for key, value in node.items() if key != "$ref"}
                return {**target, **rest}
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: JsonObject = resolve(schema)
    return resolved


def _amqp_channel_binding(exchange: str) -> JsonObject:
    return {
        "amqp": {
            "is": "routingKey",
            "exchange": {"name": exchange, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"},
            "bindingVersion": AMQP_BINDING_VERSION,
        }
    }


def _channel(event_type: str, description: str, payload: JsonObject, exchange: str) -> JsonObject:
    message_id = channel_id(event_type)
    return {
        "address": event_type,
        "description": description or event_type,
        "messages": {
            message_id: {
                "name": event_type,
                "title": event_type,
                "summary": description or event_type,
                "contentType": CONTENT_TYPE,
                "payload": payload,
            }
        },
        "bindings": _amqp_channel_binding(exchange),
    }


def _message_ref(event_type: str) -> JsonObject:
    key = channel_id(event_type)
    return {"$ref": f"#/channels/{key}/messages/{key}"}


def reader_schema_name(service: str, event_type: str) -> str:
    return f"{service}.reads.{channel_id(event_type)}"


def build_document(contract: EventContract, *, exchange: str = "doorstep.events", version: str = "1.0.0") -> JsonObject:
    """The service's own AsyncAPI 3.0 document."""
    channels: JsonObject = {}
    operations: JsonObject = {}
    schemas: JsonObject = {}
    for event_type, model in contract.produces.items():
        description = contract.descriptions.get(event_type, "")
        schema = payload_schema(model)
        channels[channel_id(event_type)] = _channel(event_type, description, schema, exchange)
        operations[f"{contract.service}.send.{channel_id(event_type)}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id(event_type)}"},
            "messages": [_message_ref(event_type)],
            "summary": description or f"Publishes {event_type}.",
            "x-service": contract.service,
            "x-cloudevents-source": contract.source,
        }
    for event_type, reader in contract.consumes.items():
        description = contract.consumer_descriptions.get(event_type, "")
        name = reader_schema_name(contract.service, event_type)
        schemas[name] = payload_schema(reader)
        if channel_id(event_type) not in channels:
            channels[channel_id(event_type)] = _channel(
                event_type, description, {"$ref": f"#/components/schemas/{name}"}, exchange
            )
        operations[f"{contract.service}.receive.{channel_id(event_type)}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id(event_type)}"},
            "messages": [_message_ref(event_type)],
            "summary": description or f"Consumes {event_type}.",
            "x-service": contract.service,
            "x-reader": {"$ref": f"#/components/schemas/{name}"},
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": f"{contract.title} events",
            "version": version,
            "description": (
                f"CloudEvents 1.0 (structured JSON) that the {contract.service} service publishes (`send`) and "
                f"consumes (`receive`) on the topic exchange `{exchange}`; the routing key is the event type. "
                "Each message's payload is the CloudEvent's `data`."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas},
    }


def _produced_channels(document: JsonObject) -> set[str]:
    return {
        operation["channel"]["$ref"].rsplit("/", 1)[1]
        for operation in document.get("operations", {}).values()
        if isinstance(operation, dict) and operation.get("action") == "send"
    }


def merge(documents: Mapping[str, JsonObject], *, title: str, description: str, version: str = "1.0.0") -> JsonObject:
    """One document for every service's events: a channel from its producer, operations and reader
    schemas from everyone."""
    channels: JsonObject = {}
    produced_by: dict[str, str] = {}
    operations: JsonObject = {}
    schemas: JsonObject = {}
    for service, document in documents.items():
        produced = _produced_channels(document)
        for key, channel in document.get("channels", {}).items():
            if key in produced and key not in produced_by:
                channels[key] = channel
                produced_by[key] = service
            elif key not in channels:
                channels[key] = channel
        operations.update(document.get("operations", {}))
        schemas.update(document.get("components", {}).get("schemas", {}))
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": title, "version": version, "description": description},
        "defaultContentType": CONTENT_TYPE,
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
