"""Votes (biểu quyết) and proxies (ủy quyền): the pure rules. A command and the state give events or an `AppError`.

A `Vote` is prepared on an agenda item, opened (the members with voting rights are fixed then), and closed by
the chair or by its duration; `apply(tally, event)` folds ballots into a `Tally`, and `close` gives the `Result`.
Who is present comes in as a plain set of member ids (attendance is another module's): eligibility is decided
here from it.

Secret means unlinkable (docs/votes.md): a secret vote's tally holds only *who voted* (a set) and the *counts*.
Casting a secret ballot gives two events that share nothing but the vote's id: `TurnoutMarked` (who, and the
proxy who cast for them) and `CountsAdded` (the choices, with no voter, no proxy and no time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    ABSTAIN,
    BASE_MEMBERS,
    CANCELLED,
    CHOICE_WORDS,
    DRAFT,
    MORE_THAN_HALF,
    NO,
    OPTIONS,
    PASS_RULES,
    VOTE_BASES,
    VOTE_CLOSED,
    VOTE_OPEN,
    VOTE_STATUS_WORDS,
    YES,
    YES_NO_ABSTAIN,
    YES_NO_CHOICES,
    ChoiceKind,
    PassRule,
    VoteBase,
    VoteStatus,
)
from .meetings import Event, MeetingState, audience_for

# action -> (allowed from, goes to)
TRANSITIONS: dict[str, tuple[frozenset[VoteStatus], VoteStatus]] = {
    "open": (frozenset({DRAFT}), VOTE_OPEN),
    "close": (frozenset({VOTE_OPEN}), VOTE_CLOSED),
    "cancel": (frozenset({DRAFT, VOTE_OPEN}), CANCELLED),
}
ACTION_WORDS: dict[str, tuple[str, str]] = {
    "open": ("mở biểu quyết", "open the vote"),
    "close": ("kết thúc biểu quyết", "close the vote"),
    "cancel": ("hủy biểu quyết", "cancel the vote"),
}
MAX_OPTIONS = 200
MAX_QUESTION = 1000


def _invalid(vi: str, en: str) -> AppError:
    return AppError.invalid(vi, en)


def _refused(vi: str, en: str) -> AppError:
    return AppError("forbidden", detail=vi, detail_en=en, whole=True)


def _conflict(vi: str, en: str) -> AppError:
    return AppError("conflict", detail=vi, detail_en=en, whole=True)


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


def yes_no_abstain() -> tuple[Choice, ...]:
    return tuple(Choice(c, CHOICE_WORDS[c][0]) for c in YES_NO_CHOICES)


@dataclass(frozen=True)
class Vote:
    """A vote on an agenda item. `members` (with voting rights) are fixed when it opens."""

    id: str
    item_id: str
    question: str
    kind: ChoiceKind = YES_NO_ABSTAIN
    choices: tuple[Choice, ...] = field(default_factory=yes_no_abstain)
    max_choices: int = 1  # "choose up to N" for OPTIONS; one for Đồng ý / Không đồng ý / Không biểu quyết
    secret: bool = False
    changeable: bool = False  # a ballot may be changed until the close (a named vote only)
    duration_s: int | None = None  # None: closed by the chair
    rule: PassRule = MORE_THAN_HALF
    base: VoteBase = BASE_MEMBERS
    status: VoteStatus = DRAFT
    members: frozenset[str] = frozenset()
    opened_at: datetime | None = None
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    paper_id: str | None = None  # the item's paper the vote is on (its draft resolution), when there is one

    def __post_init__(self) -> None:
        if not self.id or not self.item_id:
            raise _invalid("Biểu quyết phải gắn với một nội dung chương trình.", "A vote belongs to an agenda item.")
        if not self.question.strip() or len(self.question) > MAX_QUESTION:
            raise _invalid(
                f"Câu hỏi biểu quyết phải có nội dung, tối đa {MAX_QUESTION} ký tự.",
                f"The question must be given, at most {MAX_QUESTION} characters.",
            )
        ids = [c.id for c in self.choices]
        if len(set(ids)) != len(ids) or not all(ids) or not all(c.label.strip() for c in self.choices):
            raise _invalid("Các phương án phải có mã và tên, không trùng nhau.", "Choices need distinct ids and names.")
        if self.kind == YES_NO_ABSTAIN:
            if tuple(ids) != YES_NO_CHOICES or self.max_choices != 1:
                raise _invalid(
                    "Biểu quyết tán thành có đúng ba phương án: Đồng ý, Không đồng ý, Không biểu quyết; chọn một.",
                    "A for/against vote has exactly For, Against, Abstain; one is chosen.",
                )
        elif self.kind == OPTIONS:
            if not 2 <= len(ids) <= MAX_OPTIONS or set(ids) & {YES, NO, ABSTAIN}:
                raise _invalid(
                    f"Danh sách phương án/ứng viên có từ 2 đến {MAX_OPTIONS} mục.",
                    f"A list of options or candidates has 2 to {MAX_OPTIONS} entries.",
                )
            if not 1 <= self.max_choices <= len(ids):
                raise _invalid(
                    f"Số được chọn tối đa phải từ 1 đến {len(ids)}.", f"Choose up to N: N is 1 to {len(ids)}."
                )
        else:
            raise _invalid(f"Loại biểu quyết không hợp lệ: {self.kind}", f"unknown vote kind: {self.kind}")
        if self.secret and self.changeable:
            raise _invalid(
                "Phiếu kín không thể sửa: không có gì nối phiếu với người bỏ phiếu.",
                "A secret ballot cannot be changed: nothing links a ballot to its voter.",
            )
        if self.duration_s is not None and not 10 <= self.duration_s <= 24 * 3600:
            raise _invalid("Thời gian biểu quyết từ 10 giây đến 24 giờ.", "A vote lasts 10 seconds to 24 hours.")
        if self.rule not in PASS_RULES or self.base not in VOTE_BASES:
            raise _invalid("Quy tắc thông qua không hợp lệ.", "Unknown passing rule or base.")

    def label(self, choice_id: str) -> str:
        return next(c.label for c in self.choices if c.id == choice_id)


def transition(vote: Vote, action: str, at: datetime, members: Iterable[str] = ()) -> Vote:
    """The vote after `action` (TRANSITIONS); opening fixes the members with voting rights and the closing time."""
    allowed, target = TRANSITIONS[action]
    if vote.status not in allowed:
        vi, en = ACTION_WORDS[action]
        svi, sen = VOTE_STATUS_WORDS[vote.status]
        raise AppError(
            "invalid_transition",
            detail=f"Không thể {vi} khi biểu quyết đang ở trạng thái “{svi}”.",
            detail_en=f"Cannot {en} while it is {sen}.",
            whole=True,
        )
    if action == "open":
        fixed = frozenset(members)
        if not fixed:
            raise _invalid("Chưa có thành viên có quyền biểu quyết.", "No member has voting rights.")
        closes = at + timedelta(seconds=vote.duration_s) if vote.duration_s else None
        return replace(vote, status=target, members=fixed, opened_at=at, closes_at=closes)
    return replace(vote, status=target, closed_at=at)


def is_over(vote: Vote, at: datetime) -> bool:
    """Closed, cancelled, or past its duration (the timer's close may not have been recorded yet)."""
    return vote.status in (VOTE_CLOSED, CANCELLED) or (vote.closes_at is not None and at >= vote.closes_at)


# ---- proxies ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proxy:
    """`delegator` authorises `proxy` for the whole meeting (`vote_id` None) or for one vote. A `stand_in` proxy
    comes with an answer to the invitation (domain/answers.py): the holder is the member's stand-in, who need not
    be a member, and casts the member's ballot only (no vote of their own unless they are a member)."""

    id: str
    delegator: str
    proxy: str
    given_at: datetime
    recorded_by: str
    vote_id: str | None = None
    withdrawn_at: datetime | None = None
    stand_in: bool = False

    def __post_init__(self) -> None:
        if self.delegator == self.proxy:
            raise _invalid("Không thể tự ủy quyền cho chính mình.", "A member cannot authorise themselves.")

    def stands_for(self, vote_id: str) -> bool:
        return self.withdrawn_at is None and self.vote_id in (None, vote_id)

    def overlaps(self, other: Proxy) -> bool:
        """Both stand for at least one vote at once."""
        both = self.withdrawn_at is None and other.withdrawn_at is None
        return both and (self.vote_id is None or other.vote_id is None or self.vote_id == other.vote_id)


def authorise(proxies: tuple[Proxy, ...], new: Proxy, members: frozenset[str]) -> tuple[Proxy, ...]:
    """Every authorisation with `new` added; chains (A→B→C), cycles and a second proxy for the same vote refused.
    A stand-in's proxy needs only its delegator to be a member."""
    for who in (new.delegator,) if new.stand_in else (new.delegator, new.proxy):
        if who not in members:
            raise _refused(
                f"Chỉ thành viên có quyền biểu quyết mới ủy quyền hoặc nhận ủy quyền ({who}).",
                f"Only members with voting rights give or hold a proxy ({who}).",
            )
    for old in proxies:
        if not old.overlaps(new):
            continue
        if old.delegator == new.delegator:
            raise _conflict(
                f"{new.delegator} đã ủy quyền cho {old.proxy}; hãy rút ủy quyền đó trước.",
                f"{new.delegator} has already authorised {old.proxy}; withdraw that first.",
            )
        if old.delegator == new.proxy or old.proxy == new.delegator:
            raise _refused(
                "Không được ủy quyền tiếp (A→B→C) hoặc ủy quyền vòng: người nhận ủy quyền không được ủy quyền, "
                "người đã ủy quyền không nhận ủy quyền.",
                "No chains (A→B→C) or cycles: a proxy does not delegate, and a delegator holds no proxy.",
            )
    return (*proxies, new)


def withdraw(proxies: tuple[Proxy, ...], proxy_id: str, at: datetime) -> tuple[Proxy, ...]:
    """The authorisation is kept, marked withdrawn (every authorisation stays listed)."""
    if not any(p.id == proxy_id and p.withdrawn_at is None for p in proxies):
        raise _invalid("Không có ủy quyền đang hiệu lực với mã này.", "No standing proxy has this id.")
    return tuple(replace(p, withdrawn_at=at) if p.id == proxy_id else p for p in proxies)


def standing(proxies: Iterable[Proxy], vote_id: str) -> dict[str, str]:
    """delegator -> proxy, for the authorisations standing for this vote."""
    return {p.delegator: p.proxy for p in proxies if p.stands_for(vote_id)}


def eligible(vote: Vote, present: frozenset[str], proxies: Iterable[Proxy]) -> frozenset[str]:
    """Who may have a ballot now: members present, and members whose standing proxy is present."""
    stands = standing(proxies, vote.id)
    return frozenset(m for m in vote.members if m in present or stands.get(m) in present)


# ---- ballots and their events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ballot:
    """A named vote's ballot: whose it is, who cast it (themselves, their proxy, or a hall's operator)."""

    voter: str
    choices: tuple[str, ...]
    cast_by: str
    at: datetime
    site_id: str | None = None  # entered by the operator of this hall from a show of hands


@dataclass(frozen=True)
class BallotCast:
    """A named vote: the ballot (a new one, or a change until the close where the vote allows it)."""

    vote_id: str
    ballot: Ballot
    changed: bool = False


@dataclass(frozen=True)
class TurnoutMarked:
    """A secret vote: these people have voted (and who cast for them). Never carries a choice."""

    vote_id: str
    voters: frozenset[str]
    cast_by: str
    site_id: str | None = None


@dataclass(frozen=True)
class CountsAdded:
    """A secret vote: counts to add. Never carries a voter, a proxy, an actor or a time."""

    vote_id: str
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class HallEntered:
    """A secret vote: this hall's show of hands has been entered (only once)."""

    vote_id: str
    site_id: str


VoteEvent = BallotCast | TurnoutMarked | CountsAdded | HallEntered


@dataclass(frozen=True)
class Tally:
    """What a vote's record holds. Named: the ballots. Secret: only who voted and the counts."""

    vote_id: str
    ballots: Mapping[str, Ballot] = field(default_factory=dict)  # named votes only
    voted: frozenset[str] = frozenset()
    counts: Mapping[str, int] = field(default_factory=dict)  # secret votes only (named: counted from ballots)
    halls: frozenset[str] = frozenset()  # secret votes: halls whose show of hands is in

    def to_dict(self) -> dict[str, Any]:
        """The stored form. Sets are sorted, so no order of arrival survives; a secret tally has no ballots."""
        out: dict[str, Any] = {"vote_id": self.vote_id, "voted": sorted(self.voted)}
        if self.ballots:
            out["ballots"] = [
                {
                    "voter": b.voter,
                    "choices": list(b.choices),
                    "cast_by": b.cast_by,
                    "at": b.at.isoformat(),
                    "site_id": b.site_id,
                }
                for _, b in sorted(self.ballots.items())
            ]
        if self.counts or self.halls:
            out["counts"] = dict(sorted(self.counts.items()))
            out["halls"] = sorted(self.halls)
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Tally:
        ballots = {
            b["voter"]: Ballot(
                b["voter"], tuple(b["choices"]), b["cast_by"], datetime.fromisoformat(b["at"]), b["site_id"]
            )
            for b in raw.get("ballots") or ()
        }
        return cls(
            vote_id=raw["vote_id"],
            ballots=ballots,
            voted=frozenset(raw.get("voted") or ()),
            counts={str(c): int(n) for c, n in (raw.get("counts") or {}).items()},
            halls=frozenset(raw.get("halls") or ()),
        )


def apply(tally: Tally, event: VoteEvent) -> Tally:
    if isinstance(event, BallotCast):
        b = event.ballot
        return replace(tally, ballots={**tally.ballots, b.voter: b}, voted=tally.voted | {b.voter})
    if isinstance(event, TurnoutMarked):
        return replace(tally, voted=tally.voted | event.voters)
    if isinstance(event, CountsAdded):
        counts = dict(tally.counts)
        for choice, n in event.counts:
            counts[choice] = counts.get(choice, 0) + n
        return replace(tally, counts=counts)
    return replace(tally, halls=tally.halls | {event.site_id})


def _check_open(vote: Vote, at: datetime) -> None:
    if is_over(vote, at):
        raise AppError("vote_closed", detail=f"“{vote.question}”")
    if vote.status != VOTE_OPEN:
        raise _conflict("Biểu quyết chưa được mở.", "The vote is not open yet.")


def _check_choices(vote: Vote, choices: Iterable[str]) -> tuple[str, ...]:
    picked = tuple(choices)
    known = {c.id for c in vote.choices}
    if not picked or len(set(picked)) != len(picked) or not set(picked) <= known:
        raise _invalid("Phiếu phải chọn các phương án có trong danh sách, không trùng.", "Pick listed choices once.")
    if len(picked) > vote.max_choices:
        raise _invalid(f"Chỉ được chọn tối đa {vote.max_choices} phương án.", f"Choose at most {vote.max_choices}.")
    return tuple(sorted(picked))


def _check_voter(vote: Vote, tally: Tally, voter: str, cast_by: str, stands: dict[str, str]) -> bool:
    """Whether this replaces the voter's earlier ballot; raises when `cast_by` may not cast for `voter`."""
    if voter not in vote.members:
        raise _refused(
            "Chỉ thành viên có quyền biểu quyết mới được bỏ phiếu (khách mời, quan sát viên thì không).",
            "Only members with voting rights vote (not guests or observers).",
        )
    holder = stands.get(voter)
    if cast_by == voter and holder is not None:
        raise _refused(
            f"Bạn đã ủy quyền cho {holder}; người nhận ủy quyền bỏ phiếu thay bạn.",
            f"You have authorised {holder}; your proxy votes for you.",
        )
    if cast_by != voter and holder != cast_by:
        raise _refused(
            f"Không có ủy quyền của {voter} cho {cast_by} trong biểu quyết này.",
            f"{cast_by} holds no proxy from {voter} for this vote.",
        )
    if voter in tally.voted:
        if vote.changeable:
            return True
        raise _conflict(
            f"Phiếu của {voter} đã được ghi nhận; biểu quyết này không cho sửa phiếu.",
            f"{voter}'s ballot is in; this vote does not allow changing it.",
        )
    return False


def cast(
    vote: Vote,
    tally: Tally,
    *,
    voter: str,
    cast_by: str,
    choices: Iterable[str],
    present: frozenset[str],
    proxies: Iterable[Proxy],
    at: datetime,
) -> tuple[VoteEvent, ...]:
    """A ballot for `voter`, cast by themselves or by their standing proxy, who must be present."""
    _check_open(vote, at)
    picked = _check_choices(vote, choices)
    proxies = tuple(proxies)
    stands = standing(proxies, vote.id)
    stand_in = any(
        p.stand_in and p.delegator == voter and p.proxy == cast_by and p.stands_for(vote.id) for p in proxies
    )
    if (cast_by not in vote.members and not stand_in) or cast_by not in present:
        raise _refused(
            "Chỉ thành viên có quyền biểu quyết đã điểm danh có mặt mới được bỏ phiếu.",
            "Only members with voting rights who are checked in may vote.",
        )
    changed = _check_voter(vote, tally, voter, cast_by, stands)
    if vote.secret:
        return (
            TurnoutMarked(vote.id, frozenset({voter}), cast_by),
            CountsAdded(vote.id, tuple((c, 1) for c in picked)),
        )
    return (BallotCast(vote.id, Ballot(voter, picked, cast_by, at), changed),)


def enter_hall_tally(
    vote: Vote,
    tally: Tally,
    *,
    site_id: str,
    operator: str,
    hall_present: frozenset[str],
    proxies: Iterable[Proxy],
    at: datetime,
    by_person: Mapping[str, Iterable[str]] | None = None,
    voters: frozenset[str] = frozenset(),
    counts: Mapping[str, int] | None = None,
) -> tuple[VoteEvent, ...]:
    """A hall's show of hands, entered by its operator: per person (named vote) or who voted and counts (secret).

    Everyone entered must be a member present in that hall, not represented by a proxy, and not voted yet.
    """
    _check_open(vote, at)
    stands = standing(proxies, vote.id)

    def check(person: str) -> None:
        if person not in hall_present:
            raise _refused(f"{person} không có mặt tại điểm cầu này.", f"{person} is not checked in at this hall.")
        _check_voter(vote, tally, person, person, stands)

    if not vote.secret:
        if by_person is None or counts is not None or voters:
            raise _invalid("Biểu quyết công khai: nhập theo từng người.", "A named vote is entered per person.")
        events: list[VoteEvent] = []
        for person, picked in sorted(by_person.items()):
            check(person)
            ballot = Ballot(person, _check_choices(vote, picked), operator, at, site_id)
            events.append(BallotCast(vote.id, ballot, person in tally.voted))
        if not events:
            raise _invalid("Chưa nhập phiếu nào.", "No ballot entered.")
        return tuple(events)
    if counts is None or by_person is not None or not voters:
        raise _invalid(
            "Bỏ phiếu kín: nhập danh sách người đã biểu quyết và số phiếu mỗi phương án.",
            "A secret vote is entered as who voted and the count of each choice.",
        )
    if site_id in tally.halls:
        raise _conflict("Kết quả của điểm cầu này đã được nhập.", "This hall's show of hands is already in.")
    for person in sorted(voters):
        check(person)
    known = {c.id for c in vote.choices}
    if not set(counts) <= known or any(n < 0 or n > len(voters) for n in counts.values()):
        raise _invalid(
            "Số phiếu mỗi phương án từ 0 đến số người đã biểu quyết.", "Each count is 0 to the number who voted."
        )
    total = sum(counts.values())
    if (vote.max_choices == 1 and total != len(voters)) or total > len(voters) * vote.max_choices:
        raise _invalid(
            f"Tổng số phiếu ({total}) không khớp với {len(voters)} người đã biểu quyết.",
            f"The counts ({total}) do not match the {len(voters)} who voted.",
        )
    return (
        TurnoutMarked(vote.id, voters, operator, site_id),
        CountsAdded(vote.id, tuple(sorted((c, n) for c, n in counts.items() if n))),
        HallEntered(vote.id, site_id),
    )


# ---- the result -------------------------------------------------------------------------------------------------


def turnout(tally: Tally, eligible_now: frozenset[str]) -> tuple[str, str]:
    """The live line (never the running result): "Đã biểu quyết 96/118"."""
    done, of = len(tally.voted), len(eligible_now | tally.voted)
    return f"Đã biểu quyết {done}/{of}", f"Voted {done}/{of}"


@dataclass(frozen=True)
class ChoiceCount:
    choice: str
    label: str
    count: int
    percent: float  # of the base


@dataclass(frozen=True)
class Result:
    vote_id: str
    members: int
    present: int  # members present or represented at the close, and everyone who voted
    voted: int
    base: VoteBase
    base_size: int
    rule: PassRule
    counts: tuple[ChoiceCount, ...]
    passed: bool  # for/against: the For count meets the rule; options: every seat is filled
    tie: bool  # for/against: as many For as Against; options: a tie for the last seat(s)
    elected: tuple[str, ...]  # options meeting the rule, within the N seats
    tied: tuple[str, ...]  # options tied for the last seat(s), not elected
    abstained: int  # Không biểu quyết (for/against; counted in the base, never For); 0 for options
    proxies: tuple[Proxy, ...]  # every authorisation for this vote, withdrawn ones too
    turnout_vi: str
    turnout_en: str


def meets(rule: PassRule, count: int, base_size: int) -> bool:
    if base_size <= 0:
        return False
    if rule == MORE_THAN_HALF:
        return count * 2 > base_size
    return count * 3 >= base_size * 2


def percent(count: int, base_size: int) -> float:
    return round(100 * count / base_size, 2) if base_size else 0.0


def counts_of(vote: Vote, tally: Tally) -> dict[str, int]:
    if vote.secret:
        counts = dict(tally.counts)
    else:
        counts = {}
        for ballot in tally.ballots.values():
            for c in ballot.choices:
                counts[c] = counts.get(c, 0) + 1
    return {c.id: counts.get(c.id, 0) for c in vote.choices}


def result(vote: Vote, tally: Tally, present: frozenset[str], proxies: Iterable[Proxy]) -> Result:
    """The result at the close: counts and percentages against the base, passed or not by the rule."""
    if vote.status != VOTE_CLOSED:
        raise _conflict("Chỉ có kết quả khi biểu quyết đã kết thúc.", "A vote has a result once it is closed.")
    listed = tuple(p for p in proxies if p.vote_id in (None, vote.id))
    there = eligible(vote, present, listed) | tally.voted
    base_size = len(vote.members) if vote.base == BASE_MEMBERS else len(there)
    counts = counts_of(vote, tally)
    rows = tuple(ChoiceCount(c.id, c.label, counts[c.id], percent(counts[c.id], base_size)) for c in vote.choices)
    elected: tuple[str, ...] = ()
    tied: tuple[str, ...] = ()
    if vote.kind == YES_NO_ABSTAIN:
        passed = meets(vote.rule, counts[YES], base_size)
        tie = counts[YES] == counts[NO]
        abstained = counts[ABSTAIN]
    else:
        qualified = sorted((c for c in counts if meets(vote.rule, counts[c], base_size)), key=lambda c: -counts[c])
        seats = vote.max_choices
        if len(qualified) > seats and counts[qualified[seats - 1]] == counts[qualified[seats]]:
            last = counts[qualified[seats]]
            elected = tuple(c for c in qualified if counts[c] > last)
            tied = tuple(c for c in qualified if counts[c] == last)
        else:
            elected = tuple(qualified[:seats])
        passed, tie, abstained = len(elected) == seats, bool(tied), 0
    vi, en = turnout(tally, there)
    return Result(
        vote_id=vote.id,
        members=len(vote.members),
        present=len(there),
        voted=len(tally.voted),
        base=vote.base,
        base_size=base_size,
        rule=vote.rule,
        counts=rows,
        passed=passed,
        tie=tie,
        elected=elected,
        tied=tied,
        abstained=abstained,
        proxies=listed,
        turnout_vi=vi,
        turnout_en=en,
    )


# ---- the meeting log's entries ----------------------------------------------------------------------------------
# What actions/votes.py appends to the meeting's event log; none patches the meeting state (a vote lives in its own
# rows). `CountsAdded` has no entry: a secret vote's counts reach the log only in the close event.

VOTE_CHANGES = {
    "prepare": p.VOTE_PREPARED,
    "edit": p.VOTE_EDITED,
    "open": p.VOTE_OPENED,
    "close": p.VOTE_CLOSED_EVENT,
    "cancel": p.VOTE_CANCELLED,
}
PROXY_CHANGES = {"authorise": p.PROXY_AUTHORISED, "withdraw": p.PROXY_WITHDRAWN}


def vote_changed(state: MeetingState, change: str, shown: Mapping[str, Any]) -> list[Event]:
    """The vote as every screen sees it after `change` (VOTE_CHANGES), with its result once closed."""
    return [Event(VOTE_CHANGES[change], {"vote": dict(shown)}, audience_for(state))]


def proxy_changed(state: MeetingState, change: str, shown: Mapping[str, Any]) -> list[Event]:
    return [Event(PROXY_CHANGES[change], {"proxy": dict(shown)}, audience_for(state))]


def ballot_entries(state: MeetingState, events: Iterable[VoteEvent], turnout_now: Mapping[str, Any]) -> list[Event]:
    """The entries of ballots stored in one transaction (one ballot, a hall's show of hands, or a group of
    concurrent ballots): the named ballots in full in one `vote.ballot_cast`; a secret vote's as one
    `vote.turnout` (who voted, and who cast for those who did not cast their own; never a choice); a hall's
    secret tally's `vote.hall_entered`. One entry per transaction, not per ballot: 500 ballots at once are not
    500 events to each of 500 screens."""
    audience = audience_for(state)
    ballots: list[dict[str, Any]] = []
    voters: dict[str, str] = {}  # voter -> who cast for them
    sites: set[str | None] = set()
    halls: list[Event] = []
    vote_id = ""
    for e in events:
        vote_id = e.vote_id
        if isinstance(e, BallotCast):  # what is not the usual is said: a proxy's or a hall's ballot, a change
            b = e.ballot
            ballot: dict[str, Any] = {"voter": b.voter, "choices": list(b.choices)}
            if b.cast_by != b.voter:
                ballot["cast_by"] = b.cast_by
            if b.site_id is not None:
                ballot["site_id"] = b.site_id
            if e.changed:
                ballot["changed"] = True
            ballots.append(ballot)
        elif isinstance(e, TurnoutMarked):
            voters.update(dict.fromkeys(e.voters, e.cast_by))
            sites.add(e.site_id)
        elif isinstance(e, HallEntered):
            halls.append(Event(p.VOTE_HALL_ENTERED, {"vote_id": e.vote_id, "site_id": e.site_id}, audience))
    out: list[Event] = []
    if ballots:
        out.append(Event(p.VOTE_BALLOT_CAST, {"vote_id": vote_id, "ballots": ballots, **turnout_now}, audience))
    if voters:
        data: dict[str, Any] = {"vote_id": vote_id, "voters": sorted(voters)}
        data["cast_by"] = {v: voters[v] for v in sorted(voters) if voters[v] != v}  # proxies and halls only
        data["site_id"] = next(iter(sites)) if len(sites) == 1 else None
        out.append(Event(p.VOTE_TURNOUT, {**data, **turnout_now}, audience))
    return out + halls
