"""Attachments on tickets, as the station's staff and the public notice them: a photo uploaded, its GPS gone,
served through a short-lived link, shown publicly only when the resident allowed it, removed by retention.
The directory store here; S3 (a real S3-speaking server) in test_attachments_s3.py."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from tests.conftest import bearer
from tests.ticket.conftest import MONDAY_0900, events, raise_ticket
from ticket_service.attachments.rules import MAX_FILE_BYTES

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(kind: str = "JPEG", *, orientation: int = 6, size: tuple[int, int] = (64, 48)) -> bytes:
    """A phone photo: where it was taken (GPS), the camera, and which way up it is."""
    image = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0132] = "2026:09:14 08:30:00"  # DateTime
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (31.0, 14.0, 2.5)
    gps[3] = "E"
    gps[4] = (121.0, 30.0, 12.0)
    out = io.BytesIO()
    image.save(out, format=kind, exif=exif)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(GPS_IFD))


def exif_of(data: bytes) -> dict[int, Any]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


async def upload(
    http: httpx.AsyncClient,
    ticket_id: str,
    headers: dict[str, str],
    data: bytes,
    *,
    filename: str = "IMG_0001.jpg",
    content_type: str = "image/jpeg",
    public: bool | None = None,
) -> httpx.Response:
    form = {"public": "true" if public else "false"} if public is not None else None
    return await http.post(
        f"/api/v1/tickets/{ticket_id}/attachments",
        headers=headers,
        files={"file": (filename, data, content_type)},
        data=form,
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def stored(ticket_app: Any, ticket_id: str, attachment_id: str, suffix: str = "") -> Path:
    root = ticket_app.state.runtime.settings.attachment_path()
    return root / "tickets" / ticket_id / f"{attachment_id}{suffix}"


async def test_a_photo_loses_its_gps_is_served_then_removed_by_retention(http, station, clock, ticket_app):
    desk = station.headers("receptionist")
    worker = station.headers("social_worker")
    ticket = await raise_ticket(http, station)
    original = photo()
    assert has_gps(original)

    answer = await upload(http, ticket["id"], worker, original, filename="王阿姨家楼道.jpg")
    assert answer.status_code == 201, answer.text
    attachment = answer.json()
    assert attachment["content_type"] == "image/jpeg" and attachment["public"] is False
    assert "王阿姨" not in answer.text  # the file's name (a resident's name, often) is not kept

    # The stored bytes: the location gone (and the camera), the orientation kept.
    kept = stored(ticket_app, ticket["id"], attachment["id"]).read_bytes()
    assert not has_gps(kept)
    assert exif_of(kept) == {ORIENTATION: 6}
    assert attachment["size_bytes"] == len(kept)

    # Listed on the ticket with a link valid for the configured minutes; the link serves the same bytes.
    listed = await http.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=desk)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["next_cursor"] is None and [item["id"] for item in page["items"]] == [attachment["id"]]
    link = page["items"][0]["url"]
    assert "signature=" in link and "expires=" in link
    served = await http.get(path_of(link))  # no token: the link is the permission
    assert served.status_code == 200 and served.content == kept
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"

    # The event says what was attached, never the file, its name or the resident.
    [added] = await events(ticket_app, "ticket.attachment_added")
    assert added.data["attachment_id"] == attachment["id"] and added.data["size_bytes"] == len(kept)
    assert added.data["content_type"] == "image/jpeg"
    assert "王" not in str(added.data) and "13800000000" not in str(added.data)

    # A year after the matter closed, retention removes the photo with the rest of the personal data.
    closed = await http.post(f"/api/v1/tickets/{ticket['id']}/close", headers=desk, json={"result_text": "已修好"})
    assert closed.status_code == 200, closed.text
    clock.set(MONDAY_0900 + timedelta(days=400))
    assert await ticket_app.state.anonymiser.run_once() == 1
    assert not stored(ticket_app, ticket["id"], attachment["id"]).exists()
    gone = await http.get(path_of(link))
    assert gone.status_code == 410 and gone.json()["code"] in ("attachment_removed", "link_expired")
    after = (await http.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=desk)).json()["items"]
    assert after[0]["removed_reason"] == "retention" and after[0]["url"] is None
    # A fresh link made now would not serve it either: the file is gone, not just the link.
    clock.set(MONDAY_0900)
    fresh = await http.get(path_of(link))
    assert fresh.status_code == 410 and fresh.json()["code"] == "attachment_removed"


async def test_links_expire_and_tampered_links_are_refused(http, station, clock, ticket_app):
    worker = station.headers("social_worker")
    ticket = await raise_ticket(http, station)
    answer = await upload(http, ticket["id"], worker, photo("PNG"), filename="a.png", content_type="image/png")
    assert answer.status_code == 201, answer.text
    link = path_of(answer.json()["url"])
    assert (await http.get(link)).status_code == 200

    other = str(uuid.uuid4())
    for forged in (
        link.replace("signature=", "signature=x"),
        link.replace(answer.json()["id"], other),
        link.replace("expires=", "expires=9"),
    ):
        refused = await http.get(forged)
        assert refused.status_code == 403, forged
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "link_invalid"

    ttl = ticket_app.state.runtime.settings.attachment_url_ttl_seconds
    clock.set(MONDAY_0900 + timedelta(seconds=ttl - 1))
    assert (await http.get(link)).status_code == 200
    clock.set(MONDAY_0900 + timedelta(seconds=ttl))
    expired = await http.get(link)
    assert expired.status_code == 410 and expired.json()["code"] == "link_expired"


async def test_the_type_comes_from_the_content_not_the_name(http, station, ticket_app):
    worker = station.headers("social_worker")
    ticket = await raise_ticket(http, station)
    # A PNG sent as "scan.pdf" with a PDF content type is a PNG.
    png = await upload(http, ticket["id"], worker, photo("PNG"), filename="scan.pdf", content_type="application/pdf")
    assert png.status_code == 201 and png.json()["content_type"] == "image/png", png.text
    # A script named like a photo is refused, naming the field.
    for body, name in (
        (b"#!/bin/sh\nrm -rf /\n", "photo.jpg"),
        (b"<svg onload=alert(1)>", "x.png"),
        (b"GIF89a...", "a.gif"),
    ):
        refused = await upload(http, ticket["id"], worker, body, filename=name)
        assert refused.status_code == 415, refused.text
        assert refused.json()["field"] == "file" and refused.json()["code"] == "attachment_type_refused"
    # A PDF is kept as it came.
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    kept = await upload(http, ticket["id"], worker, pdf, filename="form.bin", content_type="application/octet-stream")
    assert kept.status_code == 201 and kept.json()["content_type"] == "application/pdf", kept.text
    assert stored(ticket_app, ticket["id"], kept.json()["id"]).read_bytes() == pdf
    served = await http.get(path_of(kept.json()["url"]))
    assert served.content == pdf and served.headers["content-disposition"] == "attachment"
    # A JPEG's signature without a decodable image: 422, nothing stored.
    broken = await upload(http, ticket["id"], worker, b"\xff\xd8\xff\xe0" + b"\0" * 100)
    assert broken.status_code == 422 and broken.json()["code"] == "attachment_unreadable", broken.text
    listed = (await http.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=worker)).json()["items"]
    assert len(listed) == 2
    # No file at all, or a form that is no multipart form.
    missing = await http.post(f"/api/v1/tickets/{ticket['id']}/attachments", headers=worker, data={"public": "true"})
    assert missing.status_code in (415, 422) and missing.json()["field"] in ("file", "body"), missing.text
    no_file = await http.post(
        f"/api/v1/tickets/{ticket['id']}/attachments",
        headers=worker,
        files={"other": ("x.txt", b"hello", "text/plain")},
    )
    assert no_file.status_code == 422 and no_file.json()["field"] == "file", no_file.text
    as_json = await http.post(f"/api/v1/tickets/{ticket['id']}/attachments", headers=worker, json={"file": "x"})
    assert as_json.status_code == 415 and as_json.json()["field"] == "body", as_json.text
    bad_flag = await upload(http, ticket["id"], worker, photo(), public=None)
    assert bad_flag.status_code == 201
    weird = await http.post(
        f"/api/v1/tickets/{ticket['id']}/attachments",
        headers=worker,
        files={"file": ("a.jpg", photo(), "image/jpeg")},
        data={"public": "maybe"},
    )
    assert weird.status_code == 422 and weird.json()["field"] == "public", weird.text


async def test_a_file_over_10_mib_is_refused_naming_the_file(http, station, ticket_app):
    worker = station.headers("social_worker")
    ticket = await raise_ticket(http, station)
    too_large = b"%PDF-1.4\n" + b"0" * (MAX_FILE_BYTES - 9 + 1)
    refused = await upload(http, ticket["id"], worker, too_large, filename="big.pdf")
    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["field"] == "file" and refused.json()["code"] == "attachment_too_large"
    # Exactly the limit passes (and other routes keep their 64 KiB JSON limit).
    exact = await upload(http, ticket["id"], worker, too_large[:-1], filename="big.pdf")
    assert exact.status_code == 201, exact.text[:300]
    assert exact.json()["size_bytes"] == MAX_FILE_BYTES
    big_json = await http.post("/api/v1/tickets", headers=worker, json={"description": "长" * 70_000})
    assert big_json.status_code == 413 and big_json.json()["field"] == "body"
    # A body far over the form's allowance is refused before it is read.
    huge = await http.post(
        f"/api/v1/tickets/{ticket['id']}/attachments",
        headers={**worker, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(50 * 2**20)},
        content=b"--x",
    )
    assert huge.status_code == 413 and huge.json()["field"] == "file"


async def test_only_whoever_works_the_ticket_attaches_sees_and_removes(http, station, ticket_app):
    from tests.ticket.conftest import open_station

    worker = station.headers("social_worker")
    colleague = station.headers("social_worker", station.social_workers[1])
    secretary = station.headers("secretary")
    ticket = await raise_ticket(http, station)
    first = (await upload(http, ticket["id"], worker, photo())).json()
    second = (await upload(http, ticket["id"], worker, photo())).json()
    url = f"/api/v1/tickets/{ticket['id']}/attachments"

    # Colleagues, the secretary and district admins see them; newest first, paged.
    for headers in (colleague, secretary, bearer("district_admin")):
        listed = await http.get(url, headers=headers, params={"limit": 1})
        assert listed.status_code == 200 and listed.json()["items"][0]["id"] == second["id"]
        rest = await http.get(url, headers=headers, params={"limit": 1, "cursor": listed.json()["next_cursor"]})
        assert [item["id"] for item in rest.json()["items"]] == [first["id"]]
    # The subdistrict's department and the resident see the ticket, not the files of their home.
    for headers in (station.department_headers(),):
        assert (await http.get(url, headers=headers)).status_code == 403
        assert (await upload(http, ticket["id"], headers, photo())).status_code == 403
    # Another station's staff learn nothing of the ticket.
    elsewhere = await open_station(ticket_app, name="滨江居委会")
    stranger = elsewhere.headers("social_worker")
    assert (await http.get(url, headers=stranger)).status_code == 404
    assert (await upload(http, ticket["id"], stranger, photo())).status_code == 404
    assert (await http.delete(f"{url}/{first['id']}", headers=stranger)).status_code == 404

    # A colleague who did not upload it cannot remove it; the uploader and the secretary can.
    assert (await http.delete(f"{url}/{first['id']}", headers=colleague)).status_code == 403
    assert (await http.delete(f"{url}/{first['id']}", headers=worker)).status_code == 204
    assert (await http.delete(f"{url}/{first['id']}", headers=worker)).status_code == 204  # again: still gone
    assert (await http.delete(f"{url}/{second['id']}", headers=secretary)).status_code == 204
    assert (await http.delete(f"{url}/{uuid.uuid4()}", headers=secretary)).status_code == 404
    assert not stored(ticket_app, ticket["id"], first["id"]).exists()
    assert (await http.get(path_of(first["url"]))).status_code == 410
    items = (await http.get(url, headers=worker)).json()["items"]
    assert {item["removed_reason"] for item in items} == {"deleted"}


async def test_heic_is_stored_as_jpeg_without_its_location(http, station, ticket_app):
    import pillow_heif

    image = Image.new("RGB", (32, 24), (10, 120, 200))
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD)[2] = (31.0, 14.0, 2.5)
    exif[0x010F] = "PhoneMaker"
    heif = pillow_heif.from_pillow(image)
    out = io.BytesIO()
    heif.save(out, exif=exif.tobytes())
    heic = out.getvalue()
    assert heic[4:12] == b"ftypheic"
    worker = station.headers("social_worker")
    ticket = await raise_ticket(http, station)
    answer = await upload(http, ticket["id"], worker, heic, filename="IMG_0002.HEIC", content_type="image/heic")
    assert answer.status_code == 201, answer.text
    assert answer.json()["detected_type"] == "image/heic" and answer.json()["content_type"] == "image/jpeg"
    kept = stored(ticket_app, ticket["id"], answer.json()["id"]).read_bytes()
    assert kept.startswith(b"\xff\xd8\xff") and not has_gps(kept) and 0x010F not in exif_of(kept)


async def test_open311_shows_a_public_copy_only_where_the_resident_allowed_it(http, station, ticket_app):
    worker = station.headers("social_worker")
    allowed = await raise_ticket(http, station)
    private = await raise_ticket(http, station, media_urls=["https://photos.example.org/given-at-intake.jpg"])
    shown = await upload(http, allowed["id"], worker, photo(size=(3000, 2000)), public=True)
    assert shown.status_code == 201, shown.text
    hidden = await upload(http, private["id"], worker, photo(), public=False)
    assert hidden.status_code == 201
    pdf = await upload(http, private["id"], worker, b"%PDF-1.4\n%%EOF\n", public=True)
    assert pdf.status_code == 422 and pdf.json()["field"] == "public"  # never a PDF in public

    async def media_url(ticket_id: str, **params: str) -> str | None:
        answer = await http.get(f"/open311/v2/requests/{ticket_id}.json", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()[0]["media_url"]

    issued = await http.post(
        "/api/v1/api-keys", headers=bearer("district_admin"), json={"name": "网格化中心", "client_id": "grid-centre"}
    )
    key = issued.json()["api_key"]
    public_url = await media_url(allowed["id"])
    assert public_url is not None
    assert public_url == shown.json()["public_url"] and "/api/v1/attachments/public/" in public_url
    copy = await http.get(path_of(public_url))
    assert copy.status_code == 200 and copy.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(copy.content)) as image:
        assert not image.getexif() and "icc_profile" not in image.info and "exif" not in image.info
        assert max(image.size) <= 1600 and image.size == (1067, 1600)  # upright (orientation 6) and smaller
    # Not allowed: the public reader gets no photo; an integration keeps the URL given at intake.
    assert await media_url(private["id"]) is None
    assert await media_url(private["id"], api_key=key) == "https://photos.example.org/given-at-intake.jpg"
    assert await media_url(allowed["id"], api_key=key) == public_url
    # An update of the request (FixMyStreet's servicerequestupdates) carries the photo as it stood then.
    accepted = await http.post(
        f"/api/v1/tickets/{allowed['id']}/transitions", headers=worker, json={"action": "accept"}
    )
    assert accepted.status_code == 200, accepted.text
    updates = (await http.get("/open311/v2/servicerequestupdates.json")).json()
    assert [update["media_url"] for update in updates if update["service_request_id"] == allowed["id"]] == [public_url]
    guessed = await http.get("/api/v1/attachments/public/" + "A" * 43)
    assert guessed.status_code == 404

    # Once removed, the public copy is gone and the feed stops pointing at it.
    url = f"/api/v1/tickets/{allowed['id']}/attachments/{shown.json()['id']}"
    assert (await http.delete(url, headers=worker)).status_code == 204
    assert (await http.get(path_of(public_url))).status_code == 404
    assert await media_url(allowed["id"]) is None


async def test_an_anonymised_ticket_takes_no_new_file(http, station, clock, ticket_app):
    desk = station.headers("receptionist")
    ticket = await raise_ticket(http, station)
    await http.post(f"/api/v1/tickets/{ticket['id']}/close", headers=desk, json={"result_text": "已办结"})
    clock.set(MONDAY_0900 + timedelta(days=400))
    assert await ticket_app.state.anonymiser.run_once() == 1
    refused = await upload(http, ticket["id"], bearer("district_admin"), photo())
    assert refused.status_code == 409 and refused.json()["code"] == "ticket_anonymised"


@pytest.mark.parametrize("variant", ["directory"])
async def test_a_10_mb_upload_passes_the_gateway_and_the_413_names_the_file(variant, client, embedded):
    from tests.conftest import DEMO_STATION_ID, staff_headers

    worker = staff_headers("social_worker")
    created = await client.post(
        "/api/v1/tickets",
        headers=worker,
        json={
            "station_id": DEMO_STATION_ID,
            "channel": "walk_in",
            "service_category": "daily_life",
            "description": "楼道灯坏了",
            "resident_name": "王阿姨",
            "resident_phone": "13800000000",
        },
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    ten_mb = b"%PDF-1.4\n" + b"0" * (10_000_000 - 9)
    passed = await upload(client, ticket_id, worker, ten_mb, filename="scan.pdf")
    assert passed.status_code == 201, passed.text[:300]
    served = await client.get(path_of(passed.json()["url"]))
    assert served.status_code == 200 and len(served.content) == 10_000_000
    over = await upload(client, ticket_id, worker, ten_mb + b"0" * (MAX_FILE_BYTES - 10_000_000 + 1))
    assert over.status_code == 413 and over.json()["field"] == "file", over.text[:300]
