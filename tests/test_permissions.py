"""The permission matrix, generated: every registered action × every global role × (own meeting, someone
else's), run against a real server on SQLite through `run_action` (the door REST and socket.io share), and the
meeting/agenda part of it again over the real REST routes.

The expected outcome is not read from the code under test: it comes from POLICY and `visible` below, which
restate docs/api.md ("Organisers of a meeting are administrators, and users with the chair or secretary role
who created the meeting or are named as its chair or secretary. Others get 403 forbidden, or 404 not_found
for meetings they may not see at all").
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from meeting_server.actions import REGISTRY, run_action
from meeting_server.actions import record as record_actions
from meeting_server.api.routes import ROUTES, Route
from meeting_server.auth import actor_of_user
from meeting_server.documents.record_render import render_record
from meeting_server.domain.actors import Actor
from meeting_server.domain.checkin import CheckinPlace, checkin_code
from meeting_server.errors import AppError
from meeting_server.signing.demo_images import signature_png
from meeting_server.signing.images import reencode
from meeting_server.storage import checkin as checkin_store
from meeting_server.storage import directory
from meeting_server.storage import mail as mail_store
from meeting_server.storage import meetings as meeting_store
from meeting_server.storage import papers as paper_store
from meeting_server.views import record as record_views
from meeting_server.vocabulary import GLOBAL_PERMISSIONS, GLOBAL_ROLES, MEETING_PERMISSIONS
from tests.helpers import PASSWORD, ApiClient, LiveServer

MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")

ROLES = ("admin", "chair", "secretary", "delegate", "site_operator", "observer")
OWNERSHIP = ("own", "other")

# ---- the policy, stated once --------------------------------------------------------------------------

ANYWHERE, OWN, VISIBLE = "anywhere", "own meeting", "visible meeting"
# permission (vocabulary's names) -> {global role: where it is allowed}; a role not listed is denied everywhere.
POLICY: dict[str, dict[str, str]] = {
    "directory.manage": {"admin": ANYWHERE},
    "meeting.create": {"admin": ANYWHERE, "chair": ANYWHERE, "secretary": ANYWHERE},
    "meeting.organize": {"admin": ANYWHERE, "chair": OWN, "secretary": OWN},
    "meeting.view": {role: VISIBLE for role in ROLES},
    "account.edit": {role: ANYWHERE for role in ROLES},
    "floor.request": {"delegate": OWN},
    "floor.request_site": {"site_operator": OWN},
    "floor.manage": {"admin": ANYWHERE, "chair": OWN, "secretary": OWN},
    "attendance.check_in_self": {"admin": OWN, "chair": OWN, "secretary": OWN, "delegate": OWN},
    "attendance.check_in_others": {"admin": ANYWHERE, "chair": OWN, "secretary": OWN},
    "attendance.check_in_site": {"site_operator": OWN},
    # votes (docs/votes.md): the meeting roles of vocabulary.MEETING_PERMISSIONS, held in one's own meeting
    "vote.manage": {"admin": OWN, "chair": OWN, "secretary": OWN},
    "vote.cast": {"chair": OWN, "secretary": OWN, "delegate": OWN},
    "vote.hall_tally": {"secretary": OWN, "site_operator": OWN},
    "vote.authorise_own": {"chair": OWN, "secretary": OWN, "delegate": OWN},  # a member, from the tablet
    # answers to the invitation (docs/meeting-process.md): the invitee; the organisers for anyone
    "invitation.answer": {"admin": OWN, "chair": OWN, "secretary": OWN, "delegate": OWN, "observer": OWN},
    "invitation.answer_for": {"admin": ANYWHERE, "chair": OWN, "secretary": OWN},
    "invitation.remind": {"admin": ANYWHERE, "chair": OWN, "secretary": OWN},
    "invitation.answers": {"admin": ANYWHERE, "chair": OWN, "secretary": OWN},
    # the invitations' mail (actions/mail.py): the organisers of the meeting
    "mail.resend": {"admin": ANYWHERE, "chair": OWN, "secretary": OWN},
    # the record (docs/api.md "The record"): its organiser, chair and secretary write it; its chair reviews it. An
    # administrator who is not the meeting's organiser does not write another's minutes.
    "record.write": {"admin": OWN, "chair": OWN, "secretary": OWN},
    "record.review": {"chair": OWN},
    # signing (docs/signing.md): any person with a part may ask for their link (only the waiting slot's person gets
    # one: the domain's turn check); the seal is the organisers', applied by the server (a step, not a command)
    "record.sign": {
        "admin": ANYWHERE,
        "chair": OWN,
        "secretary": OWN,
        "delegate": OWN,
        "observer": OWN,
        "site_operator": OWN,
    },
    "record.seal": {"admin": OWN, "chair": OWN, "secretary": OWN},
    # reading the record (a view, not an action: test_record_reads below), and whatever it says, the person a
    # document's slot names reads that document as its signer (vocabulary.NAMED_PERMISSIONS)
    "record.read": {"admin": ANYWHERE, "chair": OWN, "secretary": OWN},
    # the archive (docs/archive.md): an archived meeting's dossier is its organisers' (tests/test_dossier.py)
    "dossier.download": {"admin": OWN, "chair": OWN, "secretary": OWN},  # who reads its restricted papers
}
MEETING_SCOPED = set(MEETING_PERMISSIONS)
VI_MESSAGES = {
    "forbidden": "Bạn không có quyền thực hiện thao tác này.",
    "not_found": "Không tìm thấy cuộc họp.",
}


def visible(role: str, own: bool, status: str) -> bool:
    """Administrators see every meeting; its chair and secretary see it from the start; invited people and the
    operators of its sites' units once it leaves draft; nobody else ever."""
    if role == "admin":
        return True
    if not own:
        return False
    return role in ("chair", "secretary") or status != "draft"


def expected_outcome(permission: str, role: str, own: bool, status: str | None) -> str:
    """ "ok", "forbidden" or "not_found"."""
    where = POLICY[permission].get(role)
    if permission in MEETING_SCOPED:
        assert status is not None, "a meeting permission is checked against a meeting"
        if not visible(role, own, status):
            return "not_found"
    allowed = where == ANYWHERE or (where == OWN and own) or (where == VISIBLE and visible(role, own, status or ""))
    return "ok" if allowed else "forbidden"


# ---- the world: one server and its people for the whole module --------------------------------------------


@dataclass
class World:
    server: LiveServer
    actors: dict[str, Actor]  # global role -> the person holding it
    units: dict[str, str]  # global role -> that person's own commune
    admin: Actor
    other_chair: Actor  # organises the meetings that are "someone else's"
    other_unit: str
    own_site: str  # a site of the site operator's unit, in every "own" meeting
    other_site: str
    other_delegate: str
    counter: itertools.count[int] = field(default_factory=itertools.count)
    clients: dict[str, ApiClient] = field(default_factory=dict)

    def n(self) -> int:
        return next(self.counter)

    async def run(self, actor: Actor, name: str, args: dict[str, Any]) -> dict[str, Any]:
        assert self.server.services is not None
        return await run_action(self.server.services, actor, name, args)

    async def client(self, role: str) -> ApiClient:
        if role not in self.clients:
            username = "admin" if role == "admin" else f"nguoi.{role}"
            self.clients[role] = await self.server.client(username)
        return self.clients[role]

    async def last_seq(self, meeting_id: str) -> int:
        assert self.server.services is not None
        async with self.server.services.db.read() as session:
            return (await meeting_store.load(session, meeting_id)).last_seq


async def load_actor(server: LiveServer, user_id: str | None = None, username: str | None = None) -> Actor:
    assert server.services is not None
    async with server.services.db.read() as session:
        row = (
            await directory.get_user(session, user_id)
            if user_id
            else await directory.user_by_username(session, username or "")
        )
        assert row is not None
        return actor_of_user(row)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("permissions")
    server = LiveServer(f"sqlite+aiosqlite:///{tmp / 'meetings.sqlite3'}", tmp)
    await server.start()
    units = {role: await server.create_unit(f"Xã của {role}") for role in ROLES if role != "admin"}
    units["admin"] = server.unit_id
    actors = {"admin": await load_actor(server, username="admin")}
    for role in ROLES[1:]:
        made = await server.create_user(f"nguoi.{role}", f"Người {role}", [role], unit_id=units[role])
        actors[role] = await load_actor(server, made["id"])
    other_unit = await server.create_unit("Xã khác")
    other_chair = await server.create_user("chutri.khac", "Chủ trì khác", ["chair"], unit_id=other_unit)
    other_delegate = await server.create_user("daibieu.khac", "Đại biểu khác", ["delegate"], unit_id=other_unit)
    world = World(
        server=server,
        actors=actors,
        units=units,
        admin=actors["admin"],
        other_chair=await load_actor(server, other_chair["id"]),
        other_unit=other_unit,
        own_site=await server.create_site("Điểm cầu xã", units["site_operator"]),
        other_site=await server.create_site("Điểm cầu xã khác", other_unit),
        other_delegate=other_delegate["id"],
    )
    yield world
    await server.stop()


# ---- fixture meetings -------------------------------------------------------------------------------------


@dataclass
class Prepared:
    args: dict[str, Any]
    meeting_id: str | None = None
    status: str | None = None


STEPS_TO = {
    "draft": (),
    "scheduled": ("schedule",),
    "in_progress": ("schedule", "start"),
    "ended": ("schedule", "start", "end"),
}


async def build_meeting(w: World, own: bool, status: str) -> tuple[str, list[str]]:
    """A meeting in `status` with two agenda items. "Own" is organised by the admin with the chair and
    secretary named, the delegate and observer invited and the site operator's site taking part; "other" is
    organised by another chair, with another delegate and another unit's site, and none of the role holders in
    it."""
    if own:
        creator = w.admin
        fields = {
            "chair_id": w.actors["chair"].id,
            "secretary_id": w.actors["secretary"].id,
            "invitee_ids": [w.actors["delegate"].id, w.actors["observer"].id],
            "site_ids": [w.own_site],
            "main_site_id": w.own_site,
        }
    else:
        creator = w.other_chair
        fields = {"invitee_ids": [w.other_delegate], "site_ids": [w.other_site], "main_site_id": w.other_site}
    meeting = await w.run(
        creator,
        "meeting.create",
        {
            "title": f"Cuộc họp số {w.n()}",
            "starts_at": "2026-11-24T08:00:00+07:00",
            "ends_at": "2026-11-24T11:00:00+07:00",
            **fields,
        },
    )
    items = []
    for title in ("Khai mạc", "Báo cáo tình hình kinh tế - xã hội"):
        added = await w.run(creator, "agenda.add_item", {"meeting_id": meeting["id"], "title": title})
        items.append(added["item_id"])
    for step in STEPS_TO[status]:
        await w.run(creator, f"meeting.{step}", {"meeting_id": meeting["id"]})
    return meeting["id"], items


Factory = Callable[[World, str, bool], Awaitable[Prepared]]


def on_meeting(status: str, extra: Callable[[list[str]], dict[str, Any]] = lambda items: {}) -> Factory:
    async def make(w: World, role: str, own: bool) -> Prepared:
        meeting_id, items = await build_meeting(w, own, status)
        return Prepared({"meeting_id": meeting_id, **extra(items)}, meeting_id, status)

    return make


def plain(make_args: Callable[[World, str, bool], dict[str, Any]]) -> Factory:
    async def make(w: World, role: str, own: bool) -> Prepared:
        return Prepared(make_args(w, role, own))

    return make


async def fresh_unit(w: World, role: str, own: bool) -> Prepared:
    return Prepared({"unit_id": await w.server.create_unit(f"Xã trống {w.n()}")})


def site_factory(extra: dict[str, Any]) -> Factory:
    async def make(w: World, role: str, own: bool) -> Prepared:
        unit = w.units[role] if own else w.other_unit
        return Prepared({"site_id": await w.server.create_site(f"Phòng họp {w.n()}", unit), **extra})

    return make


async def user_update(w: World, role: str, own: bool) -> Prepared:
    if own:  # one's own account: still an administrator's business
        return Prepared({"user_id": w.actors[role].id, "title": "Phó Chủ tịch"})
    other = await w.server.create_user(f"nguoi.moi{w.n()}", "Người mới", ["delegate"], unit_id=w.other_unit)
    return Prepared({"user_id": other["id"], "title": "Chuyên viên"})


def on_conference(
    extra: Callable[[World, bool], dict[str, Any]] = lambda w, own: {},
    prepare: str | None = None,
    pass_on: tuple[str, ...] = (),
) -> Factory:
    """A meeting under way; `prepare` is an action its organiser runs first (e.g. start a roll call), and
    `pass_on` names fields of its answer the action needs (e.g. the roll call's id)."""

    async def make(w: World, role: str, own: bool) -> Prepared:
        meeting_id, _ = await build_meeting(w, own, "in_progress")
        args = {"meeting_id": meeting_id, **extra(w, own)}
        if prepare:
            creator = w.admin if own else w.other_chair
            done = await w.run(creator, prepare, {"meeting_id": meeting_id, **extra(w, own)})
            args.update({k: v for k, v in done.items() if k in pass_on})
        return Prepared(args, meeting_id, "in_progress")

    return make


def a_site(w: World, own: bool) -> dict[str, Any]:
    return {"participant": f"site:{w.own_site if own else w.other_site}"}


def on_floor(
    extra: Callable[[World, bool, list[str]], dict[str, Any]] = lambda w, own, items: {},
    steps: tuple[str, ...] = (),
    speaking: bool = False,
) -> Factory:
    """A meeting under way with its floor: `steps` are floor actions its organiser runs first ("floor.add" puts
    the own meeting's delegate, or the other meeting's, in the first item's queue; its request_id is passed on,
    unless `speaking`: then the action is on the speech the steps started)."""

    async def make(w: World, role: str, own: bool) -> Prepared:
        meeting_id, items = await build_meeting(w, own, "in_progress")
        creator = w.admin if own else w.other_chair
        args: dict[str, Any] = {"meeting_id": meeting_id, **extra(w, own, items)}
        speakers = {"floor.add": f"user:{w.actors['delegate'].id if own else w.other_delegate}"}
        speakers["floor.add_site"] = a_site(w, own)["participant"]
        request: dict[str, Any] = {}
        for step in steps:
            if step in speakers:
                done = await w.run(
                    creator, "floor.add", {"meeting_id": meeting_id, "speaker": speakers[step], "item_id": items[0]}
                )
                request = {"request_id": done["request_id"]}
            else:
                await w.run(creator, step, {"meeting_id": meeting_id, **request})
        return Prepared(args if speaking else {**args, **request}, meeting_id, "in_progress")

    return make


def own_hall(w: World, own: bool, items: list[str]) -> dict[str, Any]:
    return {"site_id": w.own_site if own else w.other_site, "item_id": items[0]}


PAGES = [{"width": 595.0, "height": 842.0, "rotation": 0}] * 3


async def an_upload(w: World, actor: Actor) -> str:
    """A checked upload, as the upload route leaves it for `paper.add` (the file itself is not read there)."""
    assert w.server.services is not None
    upload_id = f"up_{w.n():08d}"
    async with w.server.services.db.write() as session:
        await paper_store.add_upload(
            session,
            upload_id,
            actor.id,
            f"{w.n():064x}",
            {"sha256": "", "bytes": 1000, "page_count": 3, "pages": PAGES, "filename": "du-thao.pdf"},
        )
    return upload_id


def on_paper(
    extra: Callable[[World, str, bool, dict[str, Any]], Awaitable[dict[str, Any]]] | None = None,
    status: str = "in_progress",
    presenter: bool = False,
) -> Factory:
    """A meeting with a published paper open to all its participants, under the first agenda item (whose
    presenter is the acting person when `presenter`)."""

    async def make(w: World, role: str, own: bool) -> Prepared:
        meeting_id, items = await build_meeting(w, own, "scheduled" if status == "in_progress" else status)
        creator = w.admin if own else w.other_chair
        if presenter:
            await w.run(
                creator,
                "agenda.update_item",
                {"meeting_id": meeting_id, "item_id": items[0], "presenter_id": w.actors[role].id},
            )
        if status == "in_progress":
            await w.run(creator, "meeting.start", {"meeting_id": meeting_id})
        added = await w.run(
            creator,
            "paper.add",
            {
                "meeting_id": meeting_id,
                "upload_id": await an_upload(w, creator),
                "title": "Dự thảo nghị quyết",
                "item_id": items[0],
                "publish": True,
            },
        )
        args = {"meeting_id": meeting_id, "paper_id": added["paper"]["id"]}
        if extra is not None:
            args.update(await extra(w, role, own, args))
        return Prepared({k: v for k, v in args.items() if v is not None}, meeting_id, status)

    return make


async def upload_of_actor(w: World, role: str, own: bool, args: dict[str, Any]) -> dict[str, Any]:
    return {"upload_id": await an_upload(w, w.actors[role])}


async def ink(w: World, role: str, own: bool, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"ink-{w.n():08d}",
        "version": 1,
        "page": 2,
        "kind": "ink",
        "data": {"strokes": [[[0.1, 0.1], [0.2, 0.25]]], "color": "#1565c0"},
    }


async def own_ink(w: World, role: str, own: bool, args: dict[str, Any]) -> dict[str, Any]:
    """An annotation of the acting person's (in a meeting they see), or of the other meeting's organiser."""
    drawn = await ink(w, role, own, args)
    drawer = w.actors[role] if visible(role, own, "in_progress") else w.other_chair
    await w.run(drawer, "annotation.save", {**args, **drawn})
    return {"id": drawn["id"], "paper_id": None}


async def a_comment(w: World, role: str, own: bool, args: dict[str, Any]) -> dict[str, Any]:
    comment_id = f"cmt-{w.n():08d}"
    await w.run(
        w.admin if own else w.other_chair,
        "comment.add",
        {**args, "id": comment_id, "version": 1, "page": 1, "x": 0.5, "y": 0.5, "text": "Đề nghị bổ sung số liệu"},
    )
    return {"comment_id": comment_id, "paper_id": None}


async def draft_comment(w: World, role: str, own: bool, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"cmt-{w.n():08d}", "version": 1, "page": 1, "x": 0.3, "y": 0.4, "text": "Góp ý của tôi"}


# Valid arguments per action; a registered action missing here fails the matrix
# (test_every_action_has_a_factory_and_a_policy, and each of its cases).
FACTORIES: dict[str, Factory] = {
    "meeting.create": plain(
        lambda w, role, own: {"title": f"Họp mới {w.n()}", "starts_at": "2026-12-01T08:00:00+07:00"}
    ),
    "meeting.update": on_meeting("scheduled", lambda items: {"location": "Hội trường B", "title": "Đổi tên"}),
    "meeting.schedule": on_meeting("draft"),
    "meeting.unschedule": on_meeting("scheduled"),
    "meeting.start": on_meeting("scheduled"),
    "meeting.end": on_meeting("in_progress"),
    "meeting.archive": on_meeting("ended"),
    "meeting.cancel": on_meeting("scheduled", lambda items: {"reason": "Thay đổi kế hoạch"}),
    "agenda.add_item": on_meeting("draft", lambda items: {"title": "Kết luận", "planned_minutes": 10, "position": 0}),
    "agenda.update_item": on_meeting("scheduled", lambda items: {"item_id": items[0], "planned_minutes": 25}),
    "agenda.remove_item": on_meeting("scheduled", lambda items: {"item_id": items[1]}),
    "agenda.reorder": on_meeting("scheduled", lambda items: {"item_ids": items[::-1]}),
    "agenda.set_current": on_meeting("in_progress", lambda items: {"item_id": items[1]}),
    "unit.create": plain(
        lambda w, role, own: {"name": f"Xã mới {w.n()}", "kind": "commune", "parent_id": w.server.unit_id}
    ),
    "unit.update": plain(lambda w, role, own: {"unit_id": w.units[role] if own else w.other_unit, "code": f"X{w.n()}"}),
    "unit.delete": fresh_unit,
    "unit.import_official": plain(lambda w, role, own: {"province": "Lai Châu"}),  # 38 communes, no sites
    "site.create": plain(
        lambda w, role, own: {"name": f"Điểm cầu {w.n()}", "unit_id": w.units[role] if own else w.other_unit}
    ),
    "site.update": site_factory({"location": "Tầng 2", "capacity": 40}),
    "site.issue_token": site_factory({}),
    "site.revoke_token": site_factory({}),
    "user.create": plain(
        lambda w, role, own: {
            "username": f"nguoi.tao{w.n()}",
            "full_name": "Lê Văn Mới",
            "password": PASSWORD,
            "roles": ["delegate"],
            "unit_id": w.units[role] if own else w.other_unit,
        }
    ),
    "user.update": user_update,
    "me.update": plain(lambda w, role, own: {"lang": "vi"}),
    "conference.set_main_site": on_conference(lambda w, own: {"site_id": None}),
    "conference.mute": on_conference(a_site),
    "conference.unmute": on_conference(a_site, prepare="conference.mute"),
    "conference.mute_sites": on_conference(),  # the single mute's permission, for every site but the main one
    "conference.lock": on_conference(),
    "conference.unlock": on_conference(prepare="conference.lock"),
    "conference.remove": on_conference(a_site),
    "conference.readmit": on_conference(a_site, prepare="conference.remove"),
    "conference.start_recording": on_conference(),
    "conference.stop_recording": on_conference(prepare="conference.start_recording"),
    "conference.start_roll_call": on_conference(),
    "conference.close_roll_call": on_conference(prepare="conference.start_roll_call"),
    "conference.answer_roll_call": on_conference(prepare="conference.start_roll_call", pass_on=("roll_call_id",)),
    "floor.request": on_floor(lambda w, own, items: {"item_id": items[0], "topic": "Về nguồn vốn"}),
    "floor.request_site": on_floor(own_hall),
    "floor.add": on_floor(lambda w, own, items: {"speaker": a_site(w, own)["participant"], "item_id": items[0]}),
    "floor.withdraw": on_floor(steps=("floor.add",)),
    "floor.withdraw_site": on_floor(steps=("floor.add_site",)),
    "floor.remove": on_floor(steps=("floor.add",)),
    "floor.give": on_floor(steps=("floor.add",)),
    "floor.extend": on_floor(lambda w, own, items: {"minutes": 2}, steps=("floor.add", "floor.give"), speaking=True),
    "floor.end": on_floor(steps=("floor.add", "floor.give"), speaking=True),
    "floor.set_minutes": on_floor(lambda w, own, items: {"minutes": 4, "item_id": items[1]}),
    "attendance.check_in": on_conference(lambda w, own: {"place": "in_hall"}),
    "attendance.record": on_conference(
        lambda w, own: {
            "person_id": w.actors["delegate"].id if own else w.other_delegate,
            "status": "checked_in",
            "place": "in_hall",
        }
    ),
    "attendance.record_at_site": on_conference(
        lambda w, own: {
            "person_id": w.actors["delegate"].id if own else w.other_delegate,
            "site_id": w.own_site if own else w.other_site,
        }
    ),
    "paper.add": on_meeting("scheduled"),  # its upload is added per actor below
    "paper.add_version": on_paper(upload_of_actor),
    "paper.update": on_paper(lambda w, role, own, args: _const({"title": "Dự thảo (sửa đổi)"})),
    "paper.publish": on_paper(),
    "paper.withdraw": on_paper(),
    "paper.present": on_paper(lambda w, role, own, args: _const({"page": 2, "zoom": 1.5}), presenter=True),
    "paper.stop_presenting": on_paper(lambda w, role, own, args: _const({"paper_id": None})),
    "paper.open": on_paper(),
    "annotation.save": on_paper(ink),
    "annotation.delete": on_paper(own_ink),
    "comment.add": on_paper(draft_comment),
    "comment.update": on_paper(a_comment),
}


def on_vote(
    status: str = "draft",
    extra: Callable[[World, bool], dict[str, Any]] = lambda w, own: {},
    proxy: bool = False,
) -> Factory:
    """A meeting under way with a named vote on its first item, opened when `status` is "open"; with `proxy`, a
    standing authorisation from its delegate to its observer (the other meeting's: none, any id will do)."""

    async def make(w: World, role: str, own: bool) -> Prepared:
        meeting_id, items = await build_meeting(w, own, "in_progress")
        creator = w.admin if own else w.other_chair
        if own and proxy:
            given = await w.run(
                creator,
                "proxy.authorise",
                {"meeting_id": meeting_id, "delegator": w.actors["delegate"].id, "proxy": w.actors["observer"].id},
            )
            return Prepared({"meeting_id": meeting_id, "proxy_id": given["proxy"]["id"]}, meeting_id, "in_progress")
        if proxy:
            return Prepared({"meeting_id": meeting_id, "proxy_id": "prx_00000000000000"}, meeting_id, "in_progress")
        made = await w.run(
            w.admin if own else w.other_chair,
            "vote.prepare",
            {"meeting_id": meeting_id, "item_id": items[0], "question": "Thông qua chương trình hội nghị"},
        )
        vote_id = made["vote"]["id"]
        if status == "open":
            if own:  # the electorate: the secretary invited too, and the people who may cast checked in
                people = [w.actors[r].id for r in ("delegate", "observer", "secretary")]
                await w.run(creator, "meeting.update", {"meeting_id": meeting_id, "invitee_ids": people})
                for person in (w.actors["chair"].id, *people):  # the delegate in the commune hall (hall tallies)
                    where = {"place": "at_site", "site_id": w.own_site} if person == people[0] else {"place": "in_hall"}
                    desk = {"person_id": person, "status": "checked_in", **where}
                    await w.run(creator, "attendance.record", {"meeting_id": meeting_id, **desk})
            await w.run(creator, "vote.open", {"meeting_id": meeting_id, "vote_id": vote_id})
        return Prepared({"meeting_id": meeting_id, "vote_id": vote_id, **extra(w, own)}, meeting_id, "in_progress")

    return make


def _authorisation(w: World, own: bool) -> dict[str, Any]:
    if own:
        return {"delegator": w.actors["delegate"].id, "proxy": w.actors["observer"].id}
    return {"delegator": w.other_delegate, "proxy": w.other_chair.id}


FACTORIES.update(
    {
        "vote.edit": on_vote(extra=lambda w, own: {"question": "Thông qua chương trình (sửa)"}),
        "vote.open": on_vote(),
        "vote.close": on_vote("open"),
        "vote.cancel": on_vote("open"),
        "vote.cast_ballot": on_vote("open", lambda w, own: {"choices": ["yes"]}),
        "vote.enter_hall_tally": on_vote(
            "open",
            lambda w, own: {
                "site_id": w.own_site if own else w.other_site,
                "by_person": {(w.actors["delegate"].id if own else w.other_delegate): ["no"]},
            },
        ),
        "proxy.authorise": on_conference(_authorisation),
        "proxy.withdraw": on_vote(proxy=True),
    }
)


async def _vote_prepare(w: World, role: str, own: bool) -> Prepared:
    meeting_id, items = await build_meeting(w, own, "in_progress")
    args = {"meeting_id": meeting_id, "item_id": items[0], "question": "Thông qua chương trình hội nghị"}
    return Prepared(args, meeting_id, "in_progress")


FACTORIES["vote.prepare"] = _vote_prepare  # needs the meeting's own item id


async def _const(value: dict[str, Any]) -> dict[str, Any]:
    return value


async def _checkin_code(w: World, role: str, own: bool) -> Prepared:
    """A meeting under way and its main hall's genuine check-in code (the key read where the server keeps it)."""
    meeting_id, _ = await build_meeting(w, own, "in_progress")
    assert w.server.services is not None
    async with w.server.services.db.read() as session:
        key = await checkin_store.key_of(session, meeting_id)
    assert key is not None
    return Prepared(
        {"meeting_id": meeting_id, "code": checkin_code(key, CheckinPlace(meeting_id))}, meeting_id, "in_progress"
    )


FACTORIES["attendance.check_in_with_code"] = _checkin_code
FACTORIES["attendance.renew_checkin_key"] = on_conference()


async def _paper_add(w: World, role: str, own: bool) -> Prepared:
    prepared = await on_meeting("scheduled")(w, role, own)
    prepared.args.update({"upload_id": await an_upload(w, w.actors[role]), "title": "Báo cáo"})
    return prepared


FACTORIES["paper.add"] = _paper_add


async def _invited(w: World, role: str, own: bool) -> Prepared:
    """A scheduled meeting; in one's own, the acting person is invited too (a site operator's part stays the hall's)."""
    meeting_id, _ = await build_meeting(w, own, "scheduled")
    if own and role != "site_operator":
        people = [w.actors[r].id for r in ("delegate", "observer")]
        people += [w.actors[role].id] if w.actors[role].id not in people else []
        await w.run(w.admin, "meeting.update", {"meeting_id": meeting_id, "invitee_ids": people})
    return Prepared({"meeting_id": meeting_id, "kind": "attending", "mode": "remote"}, meeting_id, "scheduled")


def _absent_for(w: World, own: bool) -> dict[str, Any]:
    person = w.actors["delegate"].id if own else w.other_delegate
    return {"person_id": person, "kind": "absent", "reason": "Đi công tác"}


async def _members_in(w: World, meeting_id: str) -> None:
    """The own meeting's secretary invited (a member too), and its chair, delegate and secretary checked in."""
    people = [w.actors[r].id for r in ("delegate", "observer", "secretary")]
    await w.run(w.admin, "meeting.update", {"meeting_id": meeting_id, "invitee_ids": people})
    for role in ("chair", "delegate", "secretary"):
        desk = {"person_id": w.actors[role].id, "status": "checked_in", "place": "in_hall"}
        await w.run(w.admin, "attendance.record", {"meeting_id": meeting_id, **desk})


def _own_proxy(withdraw: bool) -> Factory:
    """A meeting under way; in one's own, its members checked in, and (`withdraw`) a proxy the acting member gave
    (the delegate's when the acting person is no member) to another member."""

    async def make(w: World, role: str, own: bool) -> Prepared:
        meeting_id, _ = await build_meeting(w, own, "in_progress")
        if not own:
            args = {"proxy_id": "prx_00000000000000"} if withdraw else {"proxy": w.other_delegate}
            return Prepared({"meeting_id": meeting_id, **args}, meeting_id, "in_progress")
        await _members_in(w, meeting_id)
        giver = w.actors[role if role in ("chair", "secretary", "delegate") else "delegate"].id
        holder = w.actors["delegate" if giver == w.actors["chair"].id else "chair"].id
        if not withdraw:
            return Prepared({"meeting_id": meeting_id, "proxy": holder}, meeting_id, "in_progress")
        given = await w.run(w.admin, "proxy.authorise", {"meeting_id": meeting_id, "delegator": giver, "proxy": holder})
        return Prepared({"meeting_id": meeting_id, "proxy_id": given["proxy"]["id"]}, meeting_id, "in_progress")

    return make


FACTORIES.update(
    {
        "invitation.answer": _invited,
        "invitation.answer_for": on_conference(_absent_for),
        "invitation.remind": on_meeting("scheduled"),
        "proxy.authorise_own": _own_proxy(withdraw=False),
        "proxy.withdraw_own": _own_proxy(withdraw=True),
    }
)


async def _mail_resend(w: World, role: str, own: bool) -> Prepared:
    """A scheduled meeting's first mail row (its invitees have no address here: `no_address`, resendable)."""
    prepared = await on_meeting("scheduled")(w, role, own)
    assert w.server.services is not None
    async with w.server.services.db.read() as session:
        rows = await mail_store.mails_of(session, prepared.meeting_id or "")
    prepared.args["mail_id"] = rows[0].id
    return prepared


FACTORIES["mail.resend"] = _mail_resend
FACTORIES["notice.read"] = plain(lambda w, role, own: {})


def on_record(status: str, extra: Callable[[list[str]], dict[str, Any]] = lambda items: {}) -> Factory:
    """An ended meeting's biên bản in `status` (draft, in_review, signing), made by the meeting's organiser and
    approved by its chair."""

    async def make(w: World, role: str, own: bool) -> Prepared:
        meeting_id, items = await build_meeting(w, own, "ended")
        organiser, chair = (w.admin, w.actors["chair"]) if own else (w.other_chair, w.other_chair)
        ref = {"meeting_id": meeting_id}
        made = await w.run(organiser, "record.create", {**ref, "kind": "bien_ban"})
        ref["document_id"] = made["document"]["id"]
        if status in ("in_review", "signing"):
            await w.run(organiser, "record.submit", ref)
        if status == "signing":
            await w.run(chair, "record.approve", ref)
        return Prepared({**ref, **extra(items)}, meeting_id, "ended")

    return make


FACTORIES.update(
    {
        "record.create": on_meeting("ended", lambda items: {"kind": "bien_ban"}),
        "record.text.save": on_record(
            "draft",
            lambda items: {"part": items[0], "field": "discussion", "html": "<p>Ý kiến</p>", "base_revision": 0},
        ),
        "record.submit": on_record("draft"),
        "record.return": on_record("in_review", lambda items: {"comment": "Bổ sung số liệu"}),
        "record.approve": on_record("in_review"),
        "record.correct": on_record("signing", lambda items: {"reason": "Sai tên người phát biểu"}),
        "record.comment": on_record("draft", lambda items: {"part": items[1], "text": "Ghi rõ thời hạn"}),
        "record.recipients.save": on_record("draft", lambda items: {"recipients": ["Sở Tài chính"]}),
    }
)


async def _notice_to_sign(w: World, role: str, own: bool) -> Prepared:
    """An ended meeting's thông báo, approved, its PDF kept; in one's own meeting (and any, for an administrator)
    its signer is the acting person, their turn to sign, elsewhere the other meeting's chair (named: a slot
    naming the actor would let them sign even there, vocabulary.NAMED_PERMISSIONS, test_record_signing.py)."""
    meeting_id, _ = await build_meeting(w, own, "ended")
    organiser, chair = (w.admin, w.actors["chair"]) if own else (w.other_chair, w.other_chair)
    signer = w.actors[role] if own or role == "admin" else w.other_chair
    ref = {"meeting_id": meeting_id}
    made = await w.run(organiser, "record.create", {**ref, "kind": "thong_bao", "signer_id": signer.id})
    ref["document_id"] = made["document"]["id"]
    await w.run(organiser, "record.submit", ref)
    await w.run(chair, "record.approve", ref)
    assert w.server.services is not None
    source = await record_views.pdf_source(w.server.services, organiser, ref["document_id"])
    rendered = await asyncio.to_thread(render_record, source["kind"], source["content"])
    await record_actions.keep_pdf(w.server.services, ref["document_id"], rendered)
    return Prepared(ref, meeting_id, "ended")


FACTORIES["record.sign.request"] = _notice_to_sign


# signature and seal images (actions/images.py): the PNG as signing/images.reencode keeps it
def _kept_png() -> str:
    return base64.b64encode(reencode(signature_png("Trần Văn Chủ"), "signature").png).decode()


FACTORIES.update(
    {
        "me.signature_image.set": plain(lambda w, role, own: {"png": _kept_png()}),
        "me.signature_image.delete": plain(lambda w, role, own: {}),
        "unit.seal_image.set": plain(
            lambda w, role, own: {"unit_id": w.units[role] if own else w.other_unit, "png": _kept_png()}
        ),
        "unit.seal_image.delete": plain(lambda w, role, own: {"unit_id": w.units[role] if own else w.other_unit}),
    }
)


# ---- the matrix -------------------------------------------------------------------------------------------

CASES = [
    pytest.param(name, role, ownership, id=f"{name}-{role}-{ownership}")
    for name in sorted(REGISTRY)
    for role in ROLES
    for ownership in OWNERSHIP
]


def test_every_action_has_a_factory_and_a_policy() -> None:
    missing = sorted(set(REGISTRY) - set(FACTORIES))
    assert not missing, (
        f"actions without an argument factory in tests/test_permissions.py: {missing}; add one to FACTORIES "
        "so the permission matrix covers them"
    )
    stale = sorted(set(FACTORIES) - set(REGISTRY))
    assert not stale, f"FACTORIES names actions that are no longer registered: {stale}"
    used = {spec.permission for spec in REGISTRY.values()}
    assert used <= set(POLICY), f"permissions without a row in POLICY: {sorted(used - set(POLICY))}"
    assert set(POLICY) <= set(GLOBAL_PERMISSIONS) | MEETING_SCOPED, "POLICY names a permission the vocabulary lacks"
    assert ROLES == GLOBAL_ROLES


def test_the_policy_restates_the_vocabulary_table() -> None:
    """The table in meeting_server/vocabulary.py and the policy stated here (from docs/api.md) agree."""
    for permission, granted in GLOBAL_PERMISSIONS.items():
        if permission in POLICY:
            assert set(POLICY[permission]) == granted, permission
    organizing = {"admin", "chair", "secretary"}  # the global roles that can hold an organising part in a meeting
    assert set(POLICY["meeting.organize"]) == organizing & MEETING_PERMISSIONS["meeting.organize"]


def assert_error_shape(body: Any, code: str) -> None:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code
    assert body["error"]["message"] == VI_MESSAGES[code]


async def prepare(w: World, name: str, role: str, own: bool) -> tuple[Prepared, str]:
    factory = FACTORIES.get(name)
    if factory is None:
        pytest.fail(
            f"action {name!r} has no argument factory in tests/test_permissions.py FACTORIES: the "
            "permission matrix cannot check it"
        )
    permission = REGISTRY[name].permission
    if permission not in POLICY:
        pytest.fail(f"permission kind {permission!r} of {name!r} has no row in POLICY")
    prepared = await factory(w, role, own)
    if permission in MEETING_SCOPED and prepared.status is None:
        pytest.fail(f"the factory of {name!r} must build a meeting (its permission is {permission})")
    return prepared, expected_outcome(permission, role, own, prepared.status)


@MODULE_LOOP
@pytest.mark.parametrize(("name", "role", "ownership"), CASES)
async def test_action_permission(world: World, name: str, role: str, ownership: str) -> None:
    prepared, expected = await prepare(world, name, role, ownership == "own")
    before = await world.last_seq(prepared.meeting_id) if prepared.meeting_id else None
    actor = world.actors[role]
    if expected == "ok":
        result = await world.run(actor, name, prepared.args)
        assert isinstance(result, dict)
        if prepared.meeting_id:
            assert result.get("id", result.get("meeting_id")) == prepared.meeting_id
        return
    with pytest.raises(AppError) as info:
        await world.run(actor, name, prepared.args)
    assert info.value.code == expected, f"{name} by {role} on {ownership}: {info.value}"
    assert_error_shape(info.value.to_dict("vi"), expected)
    if prepared.meeting_id:  # refused means nothing was written
        assert await world.last_seq(prepared.meeting_id) == before


# ---- the same over REST -----------------------------------------------------------------------------------

ROUTE_OF: dict[str, Route] = {route.action: route for route in ROUTES if route.action}
REST_CASES = [
    pytest.param(name, role, ownership, id=f"{name}-{role}-{ownership}")
    for name in sorted(REGISTRY)
    if name.startswith(("meeting.", "agenda."))
    for role in ROLES
    for ownership in OWNERSHIP
]


@MODULE_LOOP
@pytest.mark.parametrize(("name", "role", "ownership"), REST_CASES)
async def test_rest_enforces_the_same(world: World, name: str, role: str, ownership: str) -> None:
    route = ROUTE_OF.get(name)
    assert route is not None, f"no REST route for {name}"
    prepared, expected = await prepare(world, name, role, ownership == "own")
    path, body = route.path, dict(prepared.args)
    for key in list(body):
        if "{" + key + "}" in path:
            path = path.replace("{" + key + "}", str(body.pop(key)))
    assert "{" not in path, path
    client = await world.client(role)
    status, answer = await client.request(route.method, path, body or None)
    if expected == "ok":
        assert status == route.status, answer
        return
    assert status == {"forbidden": 403, "not_found": 404}[expected], answer
    assert_error_shape(answer, expected)


# ---- the record's reads, and the named signer ----------------------------------------------------------------

READ_CASES = [
    pytest.param(role, ownership, named, id=f"record.read-{role}-{ownership}-{'named' if named else 'not-named'}")
    for role in ROLES
    for ownership in OWNERSHIP
    for named in (False, True)
]


@MODULE_LOOP
@pytest.mark.parametrize(("role", "ownership", "named"), READ_CASES)
async def test_record_reads(world: World, role: str, ownership: str, named: bool) -> None:
    """`GET /api/record/{id}` and `GET /api/meetings/{id}/record` over REST on an ended meeting's thông báo: the
    holders of `record.read` read it whole; the person its signer slot names (`named`), whatever their part and even
    in a meeting they may not see, its signer view (docs/api.md "The named signer"); anyone else the refusal."""
    own = ownership == "own"
    meeting_id, _ = await build_meeting(world, own, "ended")
    organiser = world.admin if own else world.other_chair
    signer = world.actors[role] if named else world.other_chair
    ask = {"meeting_id": meeting_id, "kind": "thong_bao", "signer_id": signer.id}
    document_id = (await world.run(organiser, "record.create", ask))["document"]["id"]
    expected = expected_outcome("record.read", role, own, "ended")
    if named and expected != "ok":
        expected = "signer"
    client = await world.client(role)
    for path in (f"/api/record/{document_id}", f"/api/meetings/{meeting_id}/record"):
        status, answer = await client.get(path)
        if expected in ("ok", "signer"):
            assert status == 200, (path, answer)
            assert answer.get("view") == ("signer" if expected == "signer" else None), (path, answer)
            whole = "texts" in answer or "facts" in answer
            assert whole == (expected == "ok"), (path, answer)
            continue
        assert status == {"forbidden": 403, "not_found": 404}[expected], (path, answer)
        assert_error_shape(answer, expected)
