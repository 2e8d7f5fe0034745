from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from deliberation_service.meetings.voting import InvalidInput, MeetingKind, QuorumRule, quorum_rule_for
from shared.settings import ServiceSettings


class DeliberationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DELIBERATION_", extra="ignore")

    service_name: str = "deliberation"
    # Quorum per meeting kind, overriding voting.DEFAULT_QUORUM_RULES, e.g.
    # DELIBERATION_QUORUM_RULES='{"hearing": {"minimum_checked_in": 20, "minimum_turnout_percent": 60}}'
    quorum_rules: dict[str, dict[str, int]] = Field(default_factory=dict)

    @field_validator("quorum_rules")
    @classmethod
    def _valid_quorum_rules(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        try:
            for kind, rule in value.items():
                MeetingKind(kind)
                QuorumRule(**rule)
        except (ValueError, TypeError, InvalidInput) as error:
            raise ValueError(f"quorum_rules: {error}") from error
        return value

    def quorum_overrides(self) -> Mapping[MeetingKind, QuorumRule]:
        return {MeetingKind(kind): QuorumRule(**rule) for kind, rule in self.quorum_rules.items()}

    def quorum_rule(self, kind: MeetingKind | str) -> QuorumRule:
        return quorum_rule_for(MeetingKind(kind), self.quorum_overrides())
