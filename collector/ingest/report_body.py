"""The report body an agent sends, validated field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ProbeEntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["ok", "warning", "critical", "error"]
    metrics: dict[str, Any] = Field(default_factory=dict)
    error: str | None = Field(default=None, max_length=4000)


class EventModel(BaseModel):
    """An event: ``kind``, and whatever fields that kind carries, kept as sent. Only ``kind`` is
    checked, so an agent can add a kind (``reports_dead_lettered``) without a collector upgrade
    refusing its reports."""

    model_config = ConfigDict(extra="allow")

    kind: str = Field(min_length=1, max_length=100)


class ReportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=128)
    seq: int = Field(ge=0, le=2**62)
    sampled_at: datetime
    interval_s: float = Field(gt=0, le=86400)
    agent_version: str = Field(min_length=1, max_length=64)
    probes: dict[str, ProbeEntryModel]
    events: list[EventModel] = Field(default_factory=list, max_length=1000)

    @field_validator("sampled_at")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone (RFC 3339, e.g. 2026-01-01T00:00:00Z)")
        return value.astimezone(UTC)
