"""Settings from the environment (and a .env file beside the code).

One frozen object, built once at start-up and passed down; nothing else reads os.environ.
In production (APP_ENV=production) a missing required setting stops start-up with one
message naming everything that is missing, so the IT officer fixes it in one go.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dotenv import load_dotenv

from storage.wards import WardConfig

ROOT = Path(__file__).resolve().parent.parent
# The embedded files (SQLite database, spool, token key, sandbox file) when nothing else names
# their place: the checkout's instance/, or HTS_INSTANCE_DIR (the test suite points it at a
# temporary folder, so a test run never writes into a developer's own instance/).
INSTANCE_DIR = Path(os.environ.get("HTS_INSTANCE_DIR") or ROOT / "instance")

# Required when APP_ENV=production. Without them in development, the offline sandbox runs.
PRODUCTION_REQUIRED = (
    "ZALO_APP_ID",
    "ZALO_APP_SECRET",
    "ZALO_OA_SECRET_KEY",
    "ZALO_OA_ID",
    "ZALO_ACCESS_TOKEN",
    "ZALO_REFRESH_TOKEN",
    "DATABASE_URL",
    "TOKEN_ENCRYPTION_KEY",
)


class SettingsError(RuntimeError):
    pass


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'hopthuso.db'}"


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    zalo_app_id: str = ""
    zalo_app_secret: str = ""
    zalo_oa_secret_key: str = ""
    zalo_oa_id: str = ""
    zalo_access_token: str = ""
    zalo_refresh_token: str = ""
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    # Which secret signs webhooks: sources disagree (facts sheet, [check]).
    zalo_signature_secret: str = "oa_secret_key"  # or "app_secret"
    zalo_site_verification: str = ""
    database_url: str = field(default_factory=_default_database_url)
    port: int = 8000
    log_level: str = "INFO"
    max_body_bytes: int = 1024 * 1024
    # Webhook inbox: "auto" acknowledges after appending to a local spool file with SQLite and
    # after the database commit with PostgreSQL; "on"/"off" force it (storage/spool.py says why).
    inbox_spool: str = "auto"
    inbox_spool_dir: str = ""  # default: "spool" beside the SQLite file, else instance/spool
    conversation_timeout_minutes: int = 30
    # /healthz answers 503 when acknowledged events have not moved on for this long
    intake_stall_seconds: int = 120
    # Officers hear about dead letters at most once per this many minutes (one summary)
    dead_letter_alert_minutes: int = 60
    faq_file: str = ""
    # Ward facts FAQ answers name as {slots} (bot/ward_profile.py); sandbox: the "(mẫu)" sample
    ward_profile_file: str = ""
    officer_zalo_ids: tuple[str, ...] = ()
    ward_name: str = "phường"
    response_working_days: int = 3
    deadlines_file: str = ""   # default handlers/data/deadlines.json
    holidays_file: str = ""    # default handlers/data/holidays_vn.csv
    weekly_report_time: str = "fri 15:30"
    daily_reminder_time: str = "07:30"
    zalo_rate_limit_per_minute: int = 3800  # Zalo: ~4,000/min per app; stay 5% under
    outbox_max_attempts: int = 6
    event_max_attempts: int = 3
    # A message `sending` longer than this belongs to a killed process: its outcome is unknown.
    outbox_stale_seconds: int = 30
    # A send whose outcome is unknown (timeout, crash) waits this long for Zalo's oa_send_* echo
    # before it is sent again. Echoes come within seconds; 60 s also covers a Zalo-side lag or
    # our web side restarting (Zalo redelivers), at the cost of one minute for a reply that
    # truly was lost. Sent again at most OUTBOX_UNKNOWN_MAX_SENDS times in all, then failed.
    outbox_echo_window_seconds: int = 60
    outbox_unknown_max_sends: int = 3
    # Event threads per worker process, PostgreSQL only (SQLite runs one: one writer anyway).
    # Each thread claims and commits batches of events (WORKER_BATCH); per-resident order holds.
    # Figures by thread count and worker count: bot/README.md (bench-ingest, bench-typhoon).
    worker_threads: int = 4
    # Scheduler fail-over (storage/leader.py has the arithmetic): every P seconds a standby
    # worker tries the leader lock and the holder confirms it. A lost holder is replaced within
    # P (process died) or 4P (machine lost): P at most 15 keeps that inside one minute.
    scheduler_lock_poll_seconds: int = 10
    # Events claimed, handled and committed together by one worker thread (one per resident at
    # most; each in its own savepoint). 1 = a commit per event, as before (bench-typhoon).
    worker_batch: int = 32
    # Google Sheets desk and Google Forms (issue 4)
    sheet_id: str = ""
    google_service_account_file: str = ""
    google_service_account_json: str = ""
    google_sheets_api_base: str = ""
    forms_shared_secret: str = ""
    # JSON file mapping roles (content, address, phone, name, kind, group) to form question titles
    forms_field_map: str = ""
    sheets_webhook_secret: str = ""
    # Google Sheets requests per minute for the whole deployment, every ward together (one
    # service account: 60 read + 60 write a minute; sheets_sync/quota.py). 0: no budget.
    sheets_requests_per_minute: int = 50
    # The city's spreadsheet: the `Tổng hợp` tab, one row per ward per week (sheets_sync/city.py)
    city_sheet_id: str = ""
    # Where `serve` (sandbox) tells `chat` how to reach it.
    sandbox_file: str = str(INSTANCE_DIR / "sandbox.json")
    # Officers' sheet: "strict" protects service-owned columns; "warning" only warns (plain sorting allowed)
    sheets_protection: str = "strict"
    # Zalo tokens at rest: Fernet key(s), newest first ("new,old" while rotating). Required in
    # production; in development a local key is generated into token_key_file (owner-only).
    token_encryption_key: str = ""
    token_key_file: str = ""  # default: token.key beside the SQLite file, else instance/token.key
    # Retention (days): raw webhook bodies, outbox message bodies, finished conversations.
    retention_days_inbound_payload: int = 90
    retention_days_outbox_payload: int = 90
    retention_days_conversations: int = 90

    @property
    def zalo_configured(self) -> bool:
        return bool(self.zalo_app_id and self.zalo_oa_secret_key and self.zalo_access_token)

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def spool_directory(self) -> Path | None:
        """Where the webhook inbox spools, or None when it commits to the database directly."""
        mode = self.inbox_spool.strip().lower()
        if mode not in ("auto", "on", "off"):
            raise SettingsError(f"INBOX_SPOOL phải là auto, on hoặc off, đang là {self.inbox_spool!r}")
        if mode == "off" or (mode == "auto" and not self.is_sqlite):
            return None
        if self.inbox_spool_dir:
            return Path(self.inbox_spool_dir)
        db_path = self.database_url.split("///", 1)[-1] if self.is_sqlite else ""
        if self.is_sqlite and db_path in ("", ":memory:"):
            return None  # a database that dies with the process needs no durable spool
        if db_path:
            return Path(db_path).resolve().parent / "spool"
        return INSTANCE_DIR / "spool"

    @property
    def scheduler_poll_seconds(self) -> int:
        p = self.scheduler_lock_poll_seconds
        if not 1 <= p <= 15:
            raise SettingsError("SCHEDULER_LOCK_POLL_SECONDS phải từ 1 đến 15 (giây): quá 15 thì worker "
                                f"thay thế có thể chậm hơn một phút; đang là {p}")
        return p

    @property
    def faq_path(self) -> Path:
        """FAQ_FILE when set, else the knowledge base shipped in intents/data/faq.csv."""
        from intents.faq import default_faq_path

        return Path(self.faq_file) if self.faq_file else default_faq_path()

    @property
    def token_key_path(self) -> Path:
        if self.token_key_file:
            return Path(self.token_key_file)
        db_path = self.database_url.split("///", 1)[-1] if self.is_sqlite else ""
        if db_path and db_path != ":memory:":
            return Path(db_path).resolve().parent / "token.key"
        return INSTANCE_DIR / "token.key"

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)

    # -- wards: one deployment, several wards (storage/wards.py) --
    def default_ward(self, stored: WardConfig) -> WardConfig:
        """The `default` ward: what `wards set default` stored, else the environment's value."""
        env = dict(name=self.ward_name if self.ward_name != "phường" else "",
                   zalo_app_id=self.zalo_app_id, zalo_app_secret=self.zalo_app_secret,
                   zalo_oa_id=self.zalo_oa_id, zalo_oa_secret_key=self.zalo_oa_secret_key,
                   sheet_id=self.sheet_id, officer_zalo_ids=self.officer_zalo_ids,
                   ward_profile_file=self.ward_profile_file)
        return replace(stored, **{k: getattr(stored, k) or v for k, v in env.items()})

    def for_ward(self, ward: WardConfig) -> "Settings":
        """These settings as one ward's handlers see them: its OA, sheet, officers, name and
        local facts; everything else (database, timings, limits) is the deployment's."""
        return replace(
            self, ward_name=ward.name or self.ward_name, zalo_app_id=ward.zalo_app_id,
            zalo_app_secret=ward.zalo_app_secret, zalo_oa_id=ward.zalo_oa_id,
            zalo_oa_secret_key=ward.zalo_oa_secret_key, sheet_id=ward.sheet_id,
            officer_zalo_ids=ward.officer_zalo_ids, ward_profile_file=ward.ward_profile_file,
            # the environment's token pair seeds the default ward only (others: `wards add`)
            zalo_access_token=self.zalo_access_token if ward.is_default else "",
            zalo_refresh_token=self.zalo_refresh_token if ward.is_default else "")

    def webhook_secret_of(self, ward: WardConfig) -> str:
        return ward.zalo_app_secret if self.zalo_signature_secret == "app_secret" else ward.zalo_oa_secret_key


_INT_FIELDS = {f.name for f in fields(Settings) if f.type in ("int", int)}


def load_settings(env: dict[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Build Settings from `env` (default: os.environ after loading .env)."""
    if env is None:
        if dotenv:
            load_dotenv(ROOT / ".env", override=False)
        env = dict(os.environ)
    values: dict[str, object] = {}
    for f in fields(Settings):
        raw = env.get(f.name.upper())
        if raw is None or raw == "":
            continue
        if f.name in _INT_FIELDS:
            try:
                values[f.name] = int(raw)
            except ValueError as exc:
                raise SettingsError(f"{f.name.upper()} phải là số nguyên, đang là {raw!r}") from exc
        elif f.name == "officer_zalo_ids":
            values[f.name] = tuple(x.strip() for x in raw.split(",") if x.strip())
        else:
            values[f.name] = raw.strip()
    settings = Settings(**values)
    if settings.is_production:
        missing = [name for name in PRODUCTION_REQUIRED if not env.get(name)]
        if missing:
            raise SettingsError(
                "Thiếu cấu hình bắt buộc khi chạy production (APP_ENV=production): "
                + ", ".join(missing)
                + ". Điền vào tệp .env hoặc biến môi trường rồi chạy lại."
            )
    return settings
