"""Settings, read from ``TANDEM_*`` environment variables and an optional ``.env`` file."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TANDEM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///var/tandem.db"
    redis_url: str | None = None
    secret_key_file: Path = Path("var/secret.key")
    # The name people see. It must not say what the community is about: a phone may be checked.
    community_name: str = "Tandem"
    # Where the quick-exit button sends her: an ordinary site that says nothing about us.
    quick_exit_url: str = "https://www.wikipedia.org/"
    environment: Literal["development", "production", "test"] = "development"

    # Argon2id: RFC 9106's second recommended profile (64 MiB, t=3, p=4).
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_parallelism: int = Field(default=4, ge=1)
    # How many hashes may run at once: each holds argon2_memory_kib of RAM.
    argon2_max_concurrent: int = Field(default=2, ge=1)

    session_idle_minutes: int = Field(default=12 * 60, ge=1)
    session_absolute_hours: int = Field(default=7 * 24, ge=1)

    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_client: int = Field(default=20, ge=1)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    registration_taken_per_client: int = Field(default=10, ge=1)
    # Abuse bounds, in the `limits` notation ("20/hour", "5 per 15 minutes"), moving
    # windows shared through Redis when redis_url is set (docs/decisions/0003-throttling.md).
    # New accounts per client address (invitations included).
    rate_limit_registration: str = "20/hour"
    # Invitations per account, on top of the community's own rule (3 per 30 days).
    rate_limit_referrals: str = "10/day"
    # Messages per account over HTTP (the WebSocket has its per-connection frame rate).
    rate_limit_messages: str = "60/minute"
    # Reports per account.
    rate_limit_reports: str = "20/hour"

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_json_depth: int = Field(default=32, ge=2)

    unseal_window_hours: int = Field(default=24, ge=1)
    # Refused attempts at privileged actions by one account that raise a flag for the
    # safeguarding officers (backend/safeguarding/denials.py), within this many minutes.
    denied_attempts_signal_threshold: int = Field(default=3, ge=1)
    denied_attempts_signal_minutes: int = Field(default=60, ge=1)
    # Accounts registered from one place (network and browser) within a day that raise a
    # flag (backend/safeguarding/linked.py).
    linked_registrations_signal_threshold: int = Field(default=3, ge=2)

    # Roster generation (OR-Tools CP-SAT): the longest a coordinator's request may search,
    # and how many search workers it uses (the machine's cores are shared with the server).
    roster_time_limit_seconds: float = Field(default=10, gt=0, le=120)
    roster_search_workers: int = Field(default=2, ge=1, le=16)

    # Closing votes at their deadline and marking long-absent members non-active.
    run_scheduled_tasks: bool = True
    scheduled_every_seconds: float = Field(default=60, gt=0)
    # Realtime rooms (/ws); docs/realtime.md explains each limit.
    # Origins allowed to open /ws besides the server's own (JSON list in the environment).
    ws_allowed_origins: list[str] = Field(default_factory=list)
    ws_max_connections_per_account: int = Field(default=8, ge=1)
    ws_max_frame_bytes: int = Field(default=64 * 1024, ge=1024)
    # Frames waiting for one connection; past this she is a slow consumer and is closed.
    ws_send_queue_frames: int = Field(default=2048, ge=8)
    # Missed messages sent on subscribe; past this the client pages history over HTTP.
    ws_backlog_limit: int = Field(default=1000, ge=10)
    ws_frames_per_second: float = Field(default=10.0, gt=0)
    ws_frame_burst: int = Field(default=30, ge=1)
    # How stale a connection's view of sessions, roles and memberships may be.
    ws_revalidate_seconds: float = Field(default=1.0, gt=0, le=2.0)
    ws_ticket_seconds: int = Field(default=30, ge=5, le=300)

    # Web Push (outside the app, constant text only); off by default. The VAPID key is kept
    # beside the key file. The subject is the contact push services may use (VAPID "sub").
    push_enabled: bool = False
    push_subject: str = "mailto:admin@localhost"

    # Development and tests only: lets an organisation's sign-in use a plain-http provider
    # on this machine (localhost, 127.0.0.1, ::1). Refused when environment is production.
    sso_allow_http_loopback: bool = False

    @field_validator(
        "rate_limit_registration",
        "rate_limit_referrals",
        "rate_limit_messages",
        "rate_limit_reports",
    )
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"not a rate like '20/hour': {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _no_plain_http_sign_in_in_production(self) -> "Settings":
        if self.sso_allow_http_loopback and self.environment == "production":
            raise ValueError("sso_allow_http_loopback is for development, not production")
        return self

    # Operations (docs/operations.md). /metrics is off unless asked for: it answers anyone
    # who reaches the process, so keep it behind the proxy (deploy/nginx refuses it).
    metrics_enabled: bool = False
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # One line per HTTP request: route template, status, duration, request id.
    log_requests: bool = True
    # Client addresses stay out of the logs unless an operator decides otherwise.
    log_client_address: bool = False
    # Proxies whose X-Forwarded-For/-Proto are believed (comma-separated; the load
    # balancer's address when it runs on another host).
    forwarded_allow_ips: str = "127.0.0.1"


@lru_cache
def get_settings() -> Settings:
    return Settings()
