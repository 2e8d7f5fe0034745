"""The attachments' pure rules: type sniffing, link signing, the streaming form, Open311's media choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticket_service.attachments.form import FormRefused, UploadForm
from ticket_service.attachments.rules import (
    FileKind,
    LinkState,
    link_state,
    media_at,
    public_media_url,
    sign,
    sniff,
    stored_type,
)

KEY = b"k" * 32
MAGIC = {
    FileKind.JPEG: b"\xff\xd8\xff\xe0",
    FileKind.PNG: b"\x89PNG\r\n\x1a\n",
    FileKind.PDF: b"%PDF-1.7",
    FileKind.HEIC: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
}


@given(st.sampled_from(list(MAGIC)), st.binary(max_size=64))
def test_the_kind_is_read_from_the_first_bytes_whatever_follows(kind, rest):
    assert sniff(MAGIC[kind] + rest) is kind


@given(st.binary(max_size=64))
def test_sniffing_never_fails_and_refuses_what_it_does_not_know(data):
    kind = sniff(data)
    if kind is None:
        assert not any(data.startswith(magic) for magic in MAGIC.values())


def test_heif_containers_other_than_heic_are_refused():
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"
    generic_avif = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif"
    generic_heic = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic"
    assert sniff(avif) is None and sniff(generic_avif) is None
    assert sniff(generic_heic) is FileKind.HEIC
    assert stored_type(FileKind.HEIC) == "image/jpeg" and stored_type(FileKind.PDF) == "application/pdf"


@given(
    st.uuids().map(str),
    st.integers(min_value=0, max_value=2**40),
    st.integers(min_value=0, max_value=2**40),
)
def test_a_link_is_valid_until_it_expires(attachment_id, expires, now):
    link = sign(KEY, attachment_id, "private", expires)
    expected = LinkState.VALID if now < expires else LinkState.EXPIRED
    assert link_state(KEY, attachment_id, "private", expires, link.signature, now) is expected


@given(st.uuids().map(str), st.uuids().map(str), st.integers(0, 2**40), st.integers(0, 2**40), st.text(max_size=60))
def test_any_change_to_a_link_breaks_it(attachment_id, other_id, expires, other_expires, forged):
    link = sign(KEY, attachment_id, "private", expires)
    if other_id != attachment_id:
        assert link_state(KEY, other_id, "private", expires, link.signature, 0) is LinkState.TAMPERED
    if other_expires != expires:
        assert link_state(KEY, attachment_id, "private", other_expires, link.signature, 0) is LinkState.TAMPERED
    assert link_state(b"another key", attachment_id, "private", expires, link.signature, 0) is LinkState.TAMPERED
    if forged != link.signature:
        # Tampering is told before expiry: a forged link learns nothing of its time.
        assert link_state(KEY, attachment_id, "private", expires, forged, 2**41) is LinkState.TAMPERED


def _form(file: bytes, public: str | None = None, boundary: str = "b0undary") -> tuple[str, bytes]:
    parts = []
    if public is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="public"\r\n\r\n{public}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + file
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


@given(st.binary(min_size=1, max_size=2000), st.booleans(), st.lists(st.integers(1, 500), max_size=20))
def test_the_form_reads_the_same_file_however_the_body_is_cut(file, public, cuts):
    content_type, body = _form(file, "true" if public else "false")
    form = UploadForm(content_type)
    position = 0
    for size in cuts:
        form.feed(body[position : position + size])
        position += size
    form.feed(body[position:])
    assert form.finish() == file and form.public is public


@given(st.integers(1, 300), st.integers(1, 50))
def test_the_form_stops_at_the_limit(limit, over):
    content_type, body = _form(b"x" * (limit + over))
    form = UploadForm(content_type, max_file_bytes=limit)
    with pytest.raises(FormRefused) as refused:
        for start in range(0, len(body), 7):
            form.feed(body[start : start + 7])
        form.finish()
    assert refused.value.status == 413 and refused.value.field == "file"
    exact_type, exact = _form(b"x" * limit)
    exact_form = UploadForm(exact_type, max_file_bytes=limit)
    exact_form.feed(exact)
    assert exact_form.finish() == b"x" * limit


@given(st.binary(max_size=300))
def test_garbage_is_refused_as_a_form_never_crashes(garbage):
    try:
        form = UploadForm("multipart/form-data; boundary=b0undary")
        form.feed(garbage)
        form.finish()
    except FormRefused as refused:
        assert refused.field in ("body", "file", "public") and 400 <= refused.status < 500


def test_open311_shows_a_public_copy_or_for_an_integration_the_intake_url():
    assert public_media_url([], ["https://x/given.jpg"], integration=False) is None
    assert public_media_url([], ["https://x/given.jpg"], integration=True) == "https://x/given.jpg"
    assert public_media_url(["https://p/1"], ["https://x/given.jpg"], integration=False) == "https://p/1"
    start = datetime(2026, 9, 14, tzinfo=UTC)
    copies = [(start, "https://p/1"), (start + timedelta(hours=2), "https://p/2")]
    assert media_at(copies, start - timedelta(seconds=1)) == ""
    assert media_at(copies, start + timedelta(hours=1)) == "https://p/1"
    assert media_at(copies, start + timedelta(hours=3)) == "https://p/2"
