from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from evaluation_service.reports.scoring import DEFAULT_MINIMUM_SAMPLE, AssessmentFormula, InvalidInput
from shared.settings import ServiceSettings


class EvaluationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EVALUATION_", extra="ignore")

    service_name: str = "evaluation"
    # Invitations: how long a resident may rate after the ticket closed.
    invitation_valid_days: int = Field(default=14, ge=1, le=365)
    # A link shown at the desk counts only with the code sent to the resident: valid this long, this many tries.
    resident_code_valid_minutes: int = Field(default=30, ge=1, le=24 * 60)
    resident_code_max_attempts: int = Field(default=5, ge=1, le=20)
    # Reports: no mean is shown under this many ratings.
    minimum_sample: int = Field(default=DEFAULT_MINIMUM_SAMPLE, ge=1)
    # Abuse: limits per invitation token and per client address (in Redis outside the embedded mode).
    rate_limit_per_token: int = Field(default=20, ge=1)
    rate_limit_token_window_seconds: float = Field(default=600.0, gt=0)
    rate_limit_per_address: int = Field(default=120, ge=1)  # generous: mobile carriers share addresses (CGNAT)
    rate_limit_address_window_seconds: float = Field(default=60.0, gt=0)
    # The annual assessment formula (weights sum to 1).
    assessment_resident_weight: float = 0.6
    assessment_acceptance_on_time_weight: float = 0.15
    assessment_resolution_on_time_weight: float = 0.15
    assessment_backstop_weight: float = 0.1
    assessment_backstop_target: int = 12
    # Personal information (PIPL): a closed ticket's personal data (the resident's account, their comment)
    # is removed this many days after it closed (the figures stay); the pass runs every
    # `retention_check_seconds`.
    personal_data_retention_days: int = Field(default=365, ge=1)
    retention_check_seconds: float = Field(default=3600, gt=0)
    retention_enabled: bool = True
    # Demo seed outside the embedded mode: how long to wait for the catalogue's copies to stop arriving.
    seed_wait_seconds: float = Field(default=60, ge=0)
    # The district overview (`/overview`) reads the ticket service's figures over HTTP with the caller's own
    # token: directly in `make up`, through the gateway in Kubernetes, in process in the embedded mode.
    ticket_url: str = "http://127.0.0.1:8002"
    ticket_call_timeout_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _formula_is_valid(self) -> EvaluationSettings:
        try:
            self.assessment_formula()
        except InvalidInput as error:
            raise ValueError(f"assessment formula: {error}") from error
        return self

    def assessment_formula(self) -> AssessmentFormula:
        return AssessmentFormula(
            resident_weight=self.assessment_resident_weight,
            acceptance_on_time_weight=self.assessment_acceptance_on_time_weight,
            resolution_on_time_weight=self.assessment_resolution_on_time_weight,
            backstop_weight=self.assessment_backstop_weight,
            backstop_target=self.assessment_backstop_target,
        )


_current: EvaluationSettings | None = None


def use_settings(settings: EvaluationSettings) -> None:
    """Event handlers get no request; the app installs its settings here when it is created."""
    global _current
    _current = settings


def current_settings() -> EvaluationSettings:
    global _current
    if _current is None:
        _current = EvaluationSettings()
    return _current
