"""An RFC 5545 iCalendar feed of a station's upcoming meetings ("predictable": times are published)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event

from deliberation_service.meetings.models import Meeting
from deliberation_service.stations.models import StationCopy

PRODID = "-//Pudong doorstep service stations//deliberation//ZH"
UID_DOMAIN = "doorstep.pudong.gov.cn"
KIND_NAMES = {
    "hearing": "听证会",
    "coordination": "协调会",
    "review": "评议会",
    "onsite_office": "现场办公",
}


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{UID_DOMAIN}"


def station_calendar(station: StationCopy, meetings: Iterable[Meeting], *, now: datetime, base_url: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{station.name} 会议")
    calendar.add("x-wr-timezone", station.time_zone)
    for meeting in meetings:
        event = Event()
        event.add("uid", meeting_uid(meeting))
        event.add("dtstamp", now)
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.ends_at)
        event.add("summary", f"【{KIND_NAMES.get(meeting.kind, meeting.kind)}】{meeting.title}")
        event.add("location", meeting.place)
        agenda = "\n".join(f"{index}. {item}" for index, item in enumerate(meeting.agenda or [], start=1))
        if agenda:
            event.add("description", agenda)
        event.add("categories", [meeting.kind])
        event.add("status", "CONFIRMED")
        event.add("created", meeting.created_at)
        if base_url:
            event.add("url", f"{base_url}/api/v1/meetings/{meeting.id}")
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document
