"""Who is acting, and what part they hold in a given meeting."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..vocabulary import (
    ACTOR_KINDS,
    ADMIN,
    GLOBAL_ROLES,
    MEETING_CREATE,
    USER,
    GlobalPermission,
    global_capabilities,
)


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
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"actor kind must be user or site, not {self.kind!r}")
        unknown = set(self.roles) - set(GLOBAL_ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}")

    @property
    def capabilities(self) -> frozenset[GlobalPermission]:
        """The global permissions this actor's roles grant (vocabulary.GLOBAL_PERMISSIONS)."""
        return global_capabilities(self.kind, self.roles)

    def may(self, permission: GlobalPermission) -> bool:
        return permission in self.capabilities

    @property
    def is_admin(self) -> bool:
        return self.kind == USER and ADMIN in self.roles

    @property
    def can_organize_meetings(self) -> bool:
        return self.may(MEETING_CREATE)
