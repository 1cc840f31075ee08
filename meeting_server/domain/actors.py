"""Who is acting, and what part they hold in a given meeting."""

from __future__ import annotations

from dataclasses import dataclass, field

GLOBAL_ROLES = ("admin", "chair", "secretary", "delegate", "site_operator", "observer")


@dataclass(frozen=True)
class Actor:
    """A signed-in person (`kind="user"`) or a room PC holding a site device token (`kind="site"`)."""

    kind: str
    id: str
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    unit_id: str | None = None
    lang: str = "vi"

    def __post_init__(self) -> None:
        if self.kind not in ("user", "site"):
            raise ValueError(f"actor kind must be user or site, not {self.kind!r}")
        unknown = set(self.roles) - set(GLOBAL_ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}")

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and "admin" in self.roles

    @property
    def can_organize_meetings(self) -> bool:
        return self.kind == "user" and bool({"admin", "chair", "secretary"} & self.roles)
