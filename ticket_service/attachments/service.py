"""Attachments on tickets: upload, list with signed links, serve, remove (by hand and by retention).

Whoever works a ticket attaches files to it and sees them (`access.handles_attachments`); anyone who may
not see the ticket learns nothing of it (404). A file's type comes from its bytes (`rules.sniff`); photos
are stored re-encoded without EXIF but the orientation (`images.py`), HEIC as JPEG, PDFs as they came. A
photo the resident allowed to be shown also gets a public-safe copy (no metadata at all) on an
unguessable, non-expiring URL: Open311's `media_url`. The bytes are written to the object store before the
row and its `ticket.attachment_added` event commit; a failed commit leaves an unreferenced object, never a
row without its file.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.errors import Conflict, Forbidden, NotFound, Problem, Unprocessable
from shared.ids import new_id
from shared.object_storage import DirectoryStorage, ObjectStorage, S3Storage
from shared.pagination import PageParameters
from ticket_service.access import handles_attachments, removes_attachment
from ticket_service.attachments import images, repository
from ticket_service.attachments.models import Attachment
from ticket_service.attachments.rules import (
    MAX_IMAGE_PIXELS,
    SNIFF_BYTES,
    FileKind,
    LinkState,
    Variant,
    derive_key,
    expiry,
    link_state,
    sign,
    sniff,
)
from ticket_service.attachments.schemas import AttachmentRead
from ticket_service.events import TICKET_ATTACHMENT_ADDED, outbox
from ticket_service.settings import TicketSettings
from ticket_service.stations import repository as stations
from ticket_service.stations.models import StationCopy
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.service import visible_ticket

CONTENT_PATH = "/api/v1/attachments/{attachment_id}/content"
PUBLIC_PATH = "/api/v1/attachments/public/{token}"
REMOVED_BY_HAND = "deleted"
REMOVED_BY_RETENTION = "retention"


class Gone(Problem):
    status, code, title = 410, "gone", "Gone"


@dataclass(frozen=True)
class Files:
    """Where attachments live and how their links are made (one per app, from the settings)."""

    store: ObjectStorage
    link_key: bytes
    ttl_seconds: int
    public_base_url: str


def files_from_settings(settings: TicketSettings) -> Files:
    if settings.attachment_store == "s3":
        store: ObjectStorage = S3Storage(
            settings.attachment_s3_bucket,
            endpoint_url=settings.attachment_s3_endpoint_url or None,
            region=settings.attachment_s3_region or None,
            access_key_id=settings.attachment_s3_access_key_id or None,
            secret_access_key=settings.attachment_s3_secret_access_key or None,
        )
    else:
        store = DirectoryStorage(settings.attachment_path())
    return Files(
        store=store,
        link_key=derive_key(settings.attachment_url_secret or settings.jwt_secret),
        ttl_seconds=settings.attachment_url_ttl_seconds,
        public_base_url=settings.public_base_url.rstrip("/"),
    )


def public_url(files_base_url: str, token: str) -> str:
    return files_base_url + PUBLIC_PATH.format(token=token)


async def _station(session: AsyncSession, ticket: Ticket) -> StationCopy:
    station = await stations.get_station(session, ticket.station_id)
    assert station is not None  # a ticket's station exists: foreign key
    return station


async def worked_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, principal: Principal
) -> tuple[Ticket, StationCopy]:
    """The ticket, when the caller handles its files: 404 when they may not see it, 403 when they see it
    but do not work it."""
    ticket = await visible_ticket(session, ticket_id, principal)
    station = await _station(session, ticket)
    if not handles_attachments(principal, ticket, station):
        raise Forbidden("Whoever works the ticket attaches and sees its files.", code="attachments_not_allowed")
    return ticket, station


# --- upload -------------------------------------------------------------------------------------------


async def _clean(data: bytes, kind: FileKind, public: bool) -> tuple[images.CleanImage, images.CleanImage | None]:
    def work() -> tuple[images.CleanImage, images.CleanImage | None]:
        stored = images.private_copy(data, kind)
        shown = images.public_copy(data, kind) if public else None
        return stored, shown

    try:
        # Decoding and encoding a photo takes a moment of CPU: off the event loop.
        return await asyncio.to_thread(work)
    except images.TooManyPixels:
        raise Unprocessable(
            f"An image may have at most {MAX_IMAGE_PIXELS} pixels.", field="file", code="image_too_large"
        ) from None
    except images.UnreadableImage:
        raise Unprocessable(
            "The file looks like an image but cannot be decoded.", field="file", code="attachment_unreadable"
        ) from None


async def add_attachment(
    session: AsyncSession,
    files: Files,
    ticket_id: uuid.UUID,
    principal: Principal,
    now: datetime,
    data: bytes,
    *,
    public: bool,
) -> Attachment:
    ticket, station = await worked_ticket(session, ticket_id, principal)
    if ticket.personal_data_removed_at is not None:
        raise Conflict("This ticket's personal data was removed after the retention period.", code="ticket_anonymised")
    kind = sniff(data[:SNIFF_BYTES])
    if kind is None:
        raise Problem(
            "Attach a JPEG, PNG or HEIC photo or a PDF (the type is read from the file's content).",
            status=415,
            code="attachment_type_refused",
            field="file",
        )
    if public and not kind.is_image:
        raise Unprocessable("Only a photo can be shown publicly.", field="public", code="public_copy_images_only")
    attachment_id = new_id()
    key = f"tickets/{ticket.id}/{attachment_id}"
    shown = None
    if kind.is_image:
        stored, shown = await _clean(data, kind, public)
        body, content_type = stored.data, stored.content_type
    else:
        body, content_type = data, kind.value
    await files.store.put(key, body, content_type)
    attachment = Attachment(
        id=attachment_id,
        ticket_id=ticket.id,
        uploaded_by=principal.user_id,
        uploaded_at=now,
        detected_type=kind.value,
        content_type=content_type,
        size_bytes=len(body),
        public=public,
        storage_key=key,
    )
    if shown is not None:
        attachment.public_key = f"{key}-public"
        attachment.public_token = secrets.token_urlsafe(32)
        await files.store.put(attachment.public_key, shown.data, shown.content_type)
    session.add(attachment)
    ticket.updated_at = now
    await outbox.add(
        session,
        TICKET_ATTACHMENT_ADDED,
        {
            "ticket_id": str(ticket.id),
            "attachment_id": str(attachment.id),
            "station_id": str(ticket.station_id),
            "subdistrict_id": str(station.subdistrict_id),
            "community_id": str(station.community_id) if station.community_id else None,
            "content_type": content_type,
            "size_bytes": len(body),
            "public": public,
            "uploaded_by": principal.user_id,
            "uploaded_at": now.isoformat(),
        },
        subject=str(ticket.id),
    )
    await session.flush()
    return attachment


# --- reading ------------------------------------------------------------------------------------------


async def read(files: Files, attachment: Attachment, now: datetime) -> AttachmentRead:
    """The attachment with a fresh link: the store's own presigned URL (S3), else this service's."""
    answer = AttachmentRead.model_validate(attachment)
    if attachment.removed_at is not None or attachment.storage_key is None:
        return answer
    expires = expiry(now.timestamp(), files.ttl_seconds)
    url = await files.store.presign(attachment.storage_key, files.ttl_seconds, attachment.content_type)
    if url is None:
        link = sign(files.link_key, str(attachment.id), Variant.PRIVATE.value, expires)
        path = CONTENT_PATH.format(attachment_id=attachment.id)
        url = f"{files.public_base_url}{path}?expires={link.expires}&signature={link.signature}"
    return answer.model_copy(
        update={
            "url": url,
            "url_expires_at": now + timedelta(seconds=files.ttl_seconds),
            "public_url": public_url(files.public_base_url, attachment.public_token)
            if attachment.public_token
            else None,
        }
    )


async def list_attachments(
    session: AsyncSession,
    files: Files,
    ticket_id: uuid.UUID,
    principal: Principal,
    now: datetime,
    parameters: PageParameters,
) -> tuple[list[AttachmentRead], str | None]:
    await worked_ticket(session, ticket_id, principal)
    rows, next_cursor = await repository.page_attachments(session, ticket_id, parameters)
    return [await read(files, row, now) for row in rows], next_cursor


async def signed_content(
    session: AsyncSession, files: Files, attachment_id: uuid.UUID, expires: int, signature: str, now: datetime
) -> tuple[bytes, Attachment]:
    """The bytes a signed link serves: 403 for a link this service did not make as it is, 410 when it
    expired or the file was removed."""
    state = link_state(files.link_key, str(attachment_id), Variant.PRIVATE.value, expires, signature, now.timestamp())
    if state is LinkState.TAMPERED:
        raise Forbidden("This link is not valid.", code="link_invalid")
    if state is LinkState.EXPIRED:
        raise Gone("This link has expired: ask the ticket's attachments again.", code="link_expired")
    attachment = await repository.get_attachment(session, attachment_id)
    if attachment is None:
        raise NotFound("No such attachment.", code="attachment_not_found")
    return await _bytes(files, attachment, attachment.storage_key), attachment


async def public_content(session: AsyncSession, files: Files, token: str) -> bytes:
    attachment = await repository.by_public_token(session, token)
    if attachment is None:
        raise NotFound("No such attachment.", code="attachment_not_found")
    return await _bytes(files, attachment, attachment.public_key)


async def _bytes(files: Files, attachment: Attachment, key: str | None) -> bytes:
    data = await files.store.get(key) if attachment.removed_at is None and key is not None else None
    if data is None:
        raise Gone("This file was removed.", code="attachment_removed")
    return data


# --- removal ------------------------------------------------------------------------------------------


async def _remove(files: Files, attachment: Attachment, now: datetime, reason: str) -> None:
    # The objects first (idempotent deletes): a failure leaves the row as it was, and the next try removes
    # them; the row then says what was there, not the bytes.
    for key in (attachment.storage_key, attachment.public_key):
        if key is not None:
            await files.store.delete(key)
    attachment.storage_key = None
    attachment.public_key = None
    attachment.public_token = None
    attachment.removed_at = now
    attachment.removed_reason = reason


async def delete_attachment(
    session: AsyncSession,
    files: Files,
    ticket_id: uuid.UUID,
    attachment_id: uuid.UUID,
    principal: Principal,
    now: datetime,
) -> None:
    ticket, station = await worked_ticket(session, ticket_id, principal)
    attachment = await repository.get_attachment(session, attachment_id)
    if attachment is None or attachment.ticket_id != ticket.id:
        raise NotFound("No such attachment on this ticket.", code="attachment_not_found")
    if not removes_attachment(principal, attachment.uploaded_by, station):
        raise Forbidden("Whoever uploaded it, or the secretary, removes an attachment.", code="not_allowed")
    if attachment.removed_at is not None:
        return  # already gone: a repeated DELETE changes nothing
    await _remove(files, attachment, now, REMOVED_BY_HAND)
    ticket.updated_at = now
    await session.flush()


async def remove_for_retention(session: AsyncSession, files: Files, ticket_ids: list[uuid.UUID], now: datetime) -> int:
    """The retention pass: every file of these (anonymised) tickets deleted, its row kept saying so."""
    held = await repository.held_for(session, ticket_ids)
    for attachment in held:
        await _remove(files, attachment, now, REMOVED_BY_RETENTION)
    await session.flush()
    return len(held)


async def public_media(
    session: AsyncSession, base_url: str, ticket_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[datetime, str]]]:
    """Each ticket's public-safe copies (uploaded_at, URL), oldest first: Open311's `media_url`."""
    copies = await repository.public_copies(session, ticket_ids)
    root = base_url.rstrip("/")
    return {ticket_id: [(at, public_url(root, token)) for at, token in rows] for ticket_id, rows in copies.items()}
