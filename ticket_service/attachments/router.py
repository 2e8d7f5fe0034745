"""Attachments over HTTP: upload (multipart, read as it streams), list with signed links, remove, serve."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.errors import PROBLEM_CONTENT_TYPE, PROBLEM_SCHEMA_NAME, Problem
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from ticket_service.attachments import service
from ticket_service.attachments.form import FormRefused, UploadForm
from ticket_service.attachments.rules import MAX_FILE_BYTES
from ticket_service.attachments.schemas import AttachmentRead

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], route_class=IdempotentRoute)
# The upload's path: the service's body limit streams it up to the form's allowance (ticket_service/app.py).
UPLOAD_PATH = re.compile(r"^/api/v1/tickets/[^/]+/attachments$")
# The signed and public links: no token (the link is the permission), routed to this service by the gateway.
content_router = APIRouter(prefix="/api/v1/attachments", tags=["attachments"])

Caller = Annotated[Principal, Depends(current_principal)]


async def files_of(request: Request) -> service.Files:
    files: service.Files = request.app.state.attachment_files
    return files


Files = Annotated[service.Files, Depends(files_of)]

UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "title": "AttachmentUpload",
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": f"JPEG, PNG, HEIC or PDF, at most {MAX_FILE_BYTES} bytes; the type is read "
                        "from the content, not the name.",
                    },
                    "public": {
                        "type": "boolean",
                        "default": False,
                        "description": "The resident allowed a public-safe copy of this photo (Open311 media_url).",
                    },
                },
            }
        }
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}}},
    }


UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: _problem("The file is larger than 10 MiB (`file`), or the form far larger"),
    415: _problem("Not a JPEG, PNG, HEIC or PDF by its content (`file`), or no multipart form (`body`)"),
}
_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}}, "description": "The file."},
    410: _problem("The link expired, or the file was removed"),
}


async def _read_form(request: Request) -> UploadForm:
    try:
        form = UploadForm(request.headers.get("content-type", ""))
        async for chunk in request.stream():
            form.feed(chunk)  # stops, 413, the moment the file passes the limit
        form.finish()
    except FormRefused as refused:
        raise Problem(refused.detail, status=refused.status, code=refused.code, field=refused.field) from None
    return form


@router.post(
    "/{ticket_id}/attachments",
    response_model=AttachmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a file (multipart field `file`; JPEG, PNG, HEIC or PDF, at most 10 MiB)",
    description="The type is read from the file's bytes (415 `attachment_type_refused` otherwise); a larger "
    "file is refused with 413 as soon as it passes 10 MiB. Photos are stored without their EXIF (location, "
    "camera, time) but the orientation; HEIC is stored as JPEG. `public=true`: the resident allowed a "
    "public-safe copy (no metadata at all), shown as Open311 `media_url`; photos only.",
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses=UPLOAD_RESPONSES,
    dependencies=[Idempotent],
)
async def add_attachment(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now, files: Files
) -> AttachmentRead:
    # Who may attach is checked before the body is read: a caller who may not learns nothing of the ticket.
    await service.worked_ticket(session, ticket_id, principal)
    form = await _read_form(request)
    assert form.file is not None
    attachment = await service.add_attachment(session, files, ticket_id, principal, now, form.file, public=form.public)
    return await service.read(files, attachment, now)


@router.get(
    "/{ticket_id}/attachments",
    response_model=Page[AttachmentRead],
    summary="The ticket's attachments, newest first, each with a short-lived download link",
    description="`url` is valid until `url_expires_at` (TICKET_ATTACHMENT_URL_TTL_SECONDS); ask again for a "
    "fresh one. Removed files stay listed with `removed_at` and no link.",
)
async def list_attachments(
    ticket_id: uuid.UUID,
    session: SessionDep,
    principal: Caller,
    now: Now,
    files: Files,
    page: Annotated[PageParameters, Depends(page_parameters)],
) -> Page[AttachmentRead]:
    items, next_cursor = await service.list_attachments(session, files, ticket_id, principal, now, page)
    return Page(items=items, next_cursor=next_cursor)


@router.delete(
    "/{ticket_id}/attachments/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an attachment (whoever uploaded it, the secretary): the file is deleted, the row stays",
)
async def delete_attachment(
    ticket_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: Caller,
    now: Now,
    files: Files,
) -> Response:
    await service.delete_attachment(session, files, ticket_id, attachment_id, principal, now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _file_response(data: bytes, content_type: str, max_age: int) -> Response:
    headers = {
        "Cache-Control": f"private, max-age={max_age}" if max_age else "public, max-age=86400",
        "X-Content-Type-Options": "nosniff",
        # Served as a file, never as a page: a PDF's scripts do not run in the API's origin.
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Content-Disposition": "inline" if content_type.startswith("image/") else "attachment",
    }
    return Response(content=data, media_type=content_type, headers=headers)


@content_router.get(
    "/public/{public_token}",
    summary="A photo's public-safe copy (no metadata), where the resident allowed it: Open311 media_url",
    response_class=Response,
    responses=_FILE_RESPONSES,
)
async def public_attachment(
    public_token: Annotated[str, Path(min_length=1, max_length=100)],
    session: SessionDep,
    files: Files,
) -> Response:
    data = await service.public_content(session, files, public_token)
    return _file_response(data, "image/jpeg", 0)


@content_router.get(
    "/{attachment_id}/content",
    summary="An attachment's bytes, through the signed link the ticket's list gave (no token needed)",
    description="403 `link_invalid` for a link changed in any part; 410 `link_expired` past `expires`, "
    "410 `attachment_removed` once the file was removed.",
    response_class=Response,
    responses=_FILE_RESPONSES,
)
async def attachment_content(
    attachment_id: uuid.UUID,
    session: SessionDep,
    files: Files,
    now: Now,
    expires: Annotated[int, Query(ge=0, le=2**40, description="The link's expiry (seconds since 1970).")],
    signature: Annotated[str, Query(min_length=1, max_length=100, description="The link's signature.")],
) -> Response:
    data, attachment = await service.signed_content(session, files, attachment_id, expires, signature, now)
    max_age = max(0, min(expires - int(now.timestamp()), files.ttl_seconds))
    return _file_response(data, attachment.content_type, max_age)
