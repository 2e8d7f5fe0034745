from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.reviews.models import ReviewResult


async def review_results(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    subdistrict_id: uuid.UUID | None,
    station_id: uuid.UUID | None,
) -> list[ReviewResult]:
    query = sa.select(ReviewResult).where(ReviewResult.completed_at >= start, ReviewResult.completed_at < end)
    if subdistrict_id is not None:
        query = query.where(ReviewResult.subdistrict_id == subdistrict_id)
    if station_id is not None:
        query = query.where(ReviewResult.station_id == station_id)
    return list((await session.scalars(query.order_by(ReviewResult.completed_at))).all())
