"""Settings read once from the environment, so one binary serves a laptop demo and a production district."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    allowed_origins: tuple[str, ...] = ()
    redis_url: str = ""
    session_days: int = 14
    secure_cookies: bool = False
    trust_proxy: bool = False  # behind nginx: take the client address from X-Forwarded-For
    snapshot_after: int = 500
    max_body_bytes: int = 1024 * 1024
    max_socket_message_bytes: int = 256 * 1024
    login_failures_per_user: int = 5
    login_failures_per_ip: int = 30
    login_window_seconds: int = 300
    socket_sweep_seconds: float = 30.0
    ws_compression: bool = False  # permessage-deflate on the live channel (see api/app.py)
    static_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parent.parent / "static")
    vendor_dir: Path = field(
        default_factory=lambda: Path(__file__).resolve().parent.parent / "node_modules"
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'meetings.sqlite3').resolve()}"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        origins = tuple(o.strip() for o in os.environ.get("MS_ALLOWED_ORIGINS", "").split(",") if o.strip())
        values: dict[str, object] = {
            "data_dir": Path(os.environ.get("MS_DATA_DIR", "data")),
            "database_url": os.environ.get("MS_DATABASE_URL", ""),
            "host": os.environ.get("HOST", "127.0.0.1"),
            "port": _env_int("PORT", 8080),
            "allowed_origins": origins,
            "redis_url": os.environ.get("MS_REDIS_URL", ""),
            "secure_cookies": os.environ.get("MS_SECURE_COOKIES", "") in ("1", "true", "yes"),
            "trust_proxy": os.environ.get("MS_TRUST_PROXY", "") in ("1", "true", "yes"),
            "snapshot_after": _env_int("MS_SNAPSHOT_AFTER", 500),
            "socket_sweep_seconds": float(os.environ.get("MS_SOCKET_SWEEP_SECONDS") or 30),
            "ws_compression": os.environ.get("MS_WS_COMPRESSION", "") in ("1", "true", "yes"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
