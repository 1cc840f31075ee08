"""The pure rules of votes and proxies (meeting_server/domain/votes.py), as tables."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from meeting_server import vocabulary as v
from meeting_server.domain import votes as d
from meeting_server.errors import AppError

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
MEMBERS = frozenset({"a", "b", "c", "d", "e"})


def vote(**kw: object) -> d.Vote:
    base: dict[str, object] = {"id": "v1", "item_id": "i1", "question": "Thông qua nghị quyết?"}
    base.update(kw)
    return d.Vote(**base)  # type: ignore[arg-type]


def opened(**kw: object) -> d.Vote:
    return d.transition(vote(**kw), "open", T0, MEMBERS)


def options(**kw: object) -> d.Vote:
    choices = tuple(d.Choice(c, f"Ứng viên {c.upper()}") for c in ("x", "y", "z"))
    return opened(kind=v.OPTIONS, choices=choices, **kw)


def proxy(delegator: str, holder: str, vote_id: str | None = None, pid: str = "") -> d.Proxy:
    return d.Proxy(pid or f"{delegator}{holder}", delegator, holder, T0, "secretary", vote_id)


def cast_all(
    vt: d.Vote,
    ballots: dict[str, tuple[str, ...]],
    present: frozenset[str] = MEMBERS,
    proxies: tuple[d.Proxy, ...] = (),
    tally: d.Tally | None = None,
) -> tuple[d.Tally, list[d.VoteEvent]]:
    tally = tally or d.Tally(vt.id)
    stands = d.standing(proxies, vt.id)
    events: list[d.VoteEvent] = []
    for voter, choices in ballots.items():
        out = d.cast(
            vt,
            tally,
            voter=voter,
            cast_by=stands.get(voter, voter),
            choices=choices,
            present=present,
            proxies=proxies,
            at=T0 + timedelta(seconds=1),
        )
        events.extend(out)
        for event in out:
            tally = d.apply(tally, event)
    return tally, events


def refusal(fn: object, *args: object, **kw: object) -> AppError:
    with pytest.raises(AppError) as info:
        fn(*args, **kw)  # type: ignore[operator]
    return info.value


# ---- lifecycle ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        (["open"], True),
        (["open", "close"], True),
        (["cancel"], True),
        (["open", "cancel"], True),
        (["close"], False),
        (["open", "open"], False),
        (["open", "close", "open"], False),
        (["open", "close", "cancel"], False),
        (["cancel", "open"], False),
    ],
)
def test_lifecycle_follows_the_transitions_table(path: list[str], ok: bool) -> None:
    vt = vote()
    try:
        for action in path:
            vt = d.transition(vt, action, T0, MEMBERS)
    except AppError as err:
        assert not ok
        assert err.code == "invalid_transition"
        assert "biểu quyết" in err.message("vi") and "vote" in err.message("en")
    else:
        assert ok and vt.status == d.TRANSITIONS[path[-1]][1]


def test_opening_fixes_members_and_the_closing_time() -> None:
    vt = opened(duration_s=60)
    assert vt.members == MEMBERS and vt.opened_at == T0 and vt.closes_at == T0 + timedelta(seconds=60)
    assert not d.is_over(vt, T0 + timedelta(seconds=59)) and d.is_over(vt, T0 + timedelta(seconds=60))
    assert opened().closes_at is None
    assert refusal(d.transition, vote(), "open", T0, ()).code == "invalid_input"


@pytest.mark.parametrize(
    "kw",
    [
        {"question": " "},
        {"item_id": ""},
        {"max_choices": 2},
        {"secret": True, "changeable": True},
        {"duration_s": 5},
        {"kind": v.OPTIONS, "choices": (d.Choice("x", "X"),)},
        {"kind": v.OPTIONS, "choices": (d.Choice("x", "X"), d.Choice("x", "Y"))},
        {"kind": v.OPTIONS, "choices": (d.Choice("x", "X"), d.Choice("y", "Y")), "max_choices": 3},
        {"kind": v.OPTIONS, "choices": (d.Choice("x", "X"), d.Choice("y", "Y")), "max_choices": 0},
        {"kind": "ranked"},
        {"rule": "unanimous"},
        {"base": "everyone"},
    ],
)
def test_a_vote_validates_itself(kw: dict[str, object]) -> None:
    assert refusal(vote, **kw).code == "invalid_input"


# ---- eligibility --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("voter", "cast_by", "present", "proxies", "code"),
    [
        ("a", "a", MEMBERS, (), None),
        ("a", "a", MEMBERS - {"a"}, (), "forbidden"),  # absent: not checked in
        ("guest", "guest", MEMBERS | {"guest"}, (), "forbidden"),  # a guest has no voting rights
        ("a", "a", MEMBERS, (proxy("a", "b"),), "forbidden"),  # delegated: the proxy votes
        ("a", "b", MEMBERS, (proxy("a", "b"),), None),  # the proxy votes for a
        ("a", "b", MEMBERS - {"a"}, (proxy("a", "b"),), None),  # the delegator need not be there
        ("a", "b", MEMBERS - {"b"}, (proxy("a", "b"),), "forbidden"),  # the proxy must be
        ("a", "c", MEMBERS, (proxy("a", "b"),), "forbidden"),  # not this person's proxy
        ("a", "b", MEMBERS, (), "forbidden"),  # no proxy at all
        ("a", "b", MEMBERS, (proxy("a", "b", "other"),), "forbidden"),  # a proxy for another vote
        ("a", "a", MEMBERS, (proxy("a", "b", "other"),), None),
        ("a", "a", MEMBERS, (dataclasses.replace(proxy("a", "b"), withdrawn_at=T0),), None),  # withdrawn
    ],
)
def test_eligibility(
    voter: str, cast_by: str, present: frozenset[str], proxies: tuple[d.Proxy, ...], code: str | None
) -> None:
    for secret in (False, True):
        vt = opened(secret=secret)
        args = {"voter": voter, "cast_by": cast_by, "choices": (v.YES,), "present": present, "proxies": proxies}
        if code is None:
            events = d.cast(vt, d.Tally(vt.id), at=T0, **args)  # type: ignore[arg-type]
            tally = d.Tally(vt.id)
            for event in events:
                tally = d.apply(tally, event)
            assert tally.voted == {voter} and d.counts_of(vt, tally)[v.YES] == 1
        else:
            err = refusal(d.cast, vt, d.Tally(vt.id), at=T0, **args)
            assert err.code == code and err.message("vi") != err.message("en")


def test_a_proxy_casts_one_ballot_per_person_represented() -> None:
    proxies = (proxy("a", "c"), proxy("b", "c", "v1"))
    vt = opened()
    tally, _ = cast_all(vt, {"a": (v.YES,), "b": (v.NO,), "c": (v.YES,)}, MEMBERS - {"a", "b"}, proxies)
    assert {k: b.cast_by for k, b in tally.ballots.items()} == {"a": "c", "b": "c", "c": "c"}
    assert d.counts_of(vt, tally) == {v.YES: 2, v.NO: 1, v.ABSTAIN: 0}
    assert d.eligible(vt, frozenset({"c", "d"}), proxies) == {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    ("choices", "kind_kw", "ok"),
    [
        ((v.YES,), {}, True),
        ((v.YES, v.NO), {}, False),
        ((), {}, False),
        (("maybe",), {}, False),
        (("x", "y"), {"max_choices": 2}, True),
        (("x", "y"), {"max_choices": 1}, False),
        (("x", "x"), {"max_choices": 2}, False),
    ],
)
def test_a_ballot_picks_listed_choices_up_to_n(choices: tuple[str, ...], kind_kw: dict[str, int], ok: bool) -> None:
    vt = options(**kind_kw) if kind_kw else opened()
    try:
        cast_all(vt, {"a": choices})
    except AppError as err:
        assert not ok and err.code == "invalid_input"
    else:
        assert ok


# ---- proxies ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "new", "code"),
    [
        ((), proxy("a", "b"), None),
        ((proxy("a", "b"),), proxy("c", "b"), None),  # one proxy may represent several
        ((proxy("a", "b"),), proxy("b", "c"), "forbidden"),  # chain a→b→c
        ((proxy("b", "c"),), proxy("a", "b"), "forbidden"),  # chain, built the other way
        ((proxy("a", "b"),), proxy("b", "a"), "forbidden"),  # cycle
        ((proxy("a", "b"), proxy("b", "c", pid="x")), proxy("c", "a"), "forbidden"),
        ((proxy("a", "b"),), proxy("a", "c"), "conflict"),  # a second proxy while one stands
        ((proxy("a", "b", "v1"),), proxy("a", "c", "v2"), None),  # different votes
        ((proxy("a", "b", "v1"),), proxy("b", "c", "v2"), None),  # no vote where both stand
        ((proxy("a", "b"),), proxy("b", "c", "v2"), "forbidden"),  # the meeting proxy covers v2
        ((dataclasses.replace(proxy("a", "b"), withdrawn_at=T0),), proxy("b", "c"), None),
        ((), proxy("a", "guest"), "forbidden"),
        ((), proxy("guest", "a"), "forbidden"),
    ],
)
def test_proxies_chains_and_cycles_are_refused(existing: tuple[d.Proxy, ...], new: d.Proxy, code: str | None) -> None:
    if code is None:
        assert d.authorise(existing, new, MEMBERS)[-1] == new
    else:
        assert refusal(d.authorise, existing, new, MEMBERS).code == code


def test_self_proxy_refused_and_withdrawn_proxies_stay_listed() -> None:
    assert refusal(proxy, "a", "a").code == "invalid_input"
    kept = d.withdraw((proxy("a", "b"),), "ab", T0)
    assert len(kept) == 1 and kept[0].withdrawn_at == T0 and d.standing(kept, "v1") == {}
    assert refusal(d.withdraw, kept, "ab", T0).code == "invalid_input"


# ---- changes until close, late ballots ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "second_ok"),
    [({}, False), ({"changeable": True}, True), ({"secret": True}, False)],
)
def test_a_ballot_is_cast_once_or_changed_where_allowed(kw: dict[str, bool], second_ok: bool) -> None:
    vt = opened(**kw)
    tally, _ = cast_all(vt, {"a": (v.YES,)})
    try:
        tally, events = cast_all(vt, {"a": (v.NO,)}, tally=tally)
    except AppError as err:
        assert not second_ok and err.code == "conflict"
        assert d.counts_of(vt, tally) == {v.YES: 1, v.NO: 0, v.ABSTAIN: 0}
    else:
        assert second_ok and isinstance(events[0], d.BallotCast) and events[0].changed
        assert d.counts_of(vt, tally) == {v.YES: 0, v.NO: 1, v.ABSTAIN: 0}


@pytest.mark.parametrize("how", ["closed", "cancelled", "timed_out", "draft"])
def test_a_late_ballot_is_refused_and_counted_nowhere(how: str) -> None:
    vt = opened(duration_s=60)
    tally, _ = cast_all(vt, {"a": (v.YES,)})
    at = T0 + timedelta(seconds=5)
    if how == "closed":
        vt = d.transition(vt, "close", at)
    elif how == "cancelled":
        vt = d.transition(vt, "cancel", at)
    elif how == "timed_out":
        at = T0 + timedelta(seconds=60)
    else:
        vt = vote()
    args = {"voter": "b", "cast_by": "b", "choices": (v.NO,), "present": MEMBERS, "proxies": (), "at": at}
    err = refusal(d.cast, vt, tally, **args)
    if how == "draft":
        assert err.code == "conflict"
    else:
        assert err.code == "vote_closed"
        assert "không được tính" in err.message("vi") and "not counted" in err.message("en")
    hall = {"site_id": "s1", "operator": "op", "hall_present": MEMBERS, "proxies": (), "at": at}
    assert refusal(d.enter_hall_tally, vt, tally, by_person={"b": (v.NO,)}, **hall).code == err.code
    assert tally.voted == {"a"}  # nothing was returned to apply


# ---- hall tallies ---------------------------------------------------------------------------------------------


def hall(vt: d.Vote, tally: d.Tally | None = None, **kw: object) -> tuple[d.VoteEvent, ...]:
    args: dict[str, object] = {
        "site_id": "s1",
        "operator": "op1",
        "hall_present": frozenset({"c", "d", "e"}),
        "proxies": (),
        "at": T0,
    }
    args.update(kw)
    return d.enter_hall_tally(vt, tally or d.Tally(vt.id), **args)  # type: ignore[arg-type]


def test_a_named_hall_tally_is_per_person_and_marked_as_entered_by_the_operator() -> None:
    vt = opened()
    events = hall(vt, by_person={"c": (v.YES,), "d": (v.NO,)})
    ballots = [e.ballot for e in events if isinstance(e, d.BallotCast)]
    assert [(b.voter, b.choices, b.cast_by, b.site_id) for b in ballots] == [
        ("c", (v.YES,), "op1", "s1"),
        ("d", (v.NO,), "op1", "s1"),
    ]


def test_a_secret_hall_tally_is_who_voted_and_counts() -> None:
    vt = opened(secret=True)
    tally = d.Tally(vt.id)
    for event in hall(vt, voters=frozenset({"c", "d", "e"}), counts={v.YES: 2, v.NO: 1}):
        tally = d.apply(tally, event)
    assert tally.voted == {"c", "d", "e"} and tally.halls == {"s1"}
    assert d.counts_of(vt, tally) == {v.YES: 2, v.NO: 1, v.ABSTAIN: 0}
    again = refusal(hall, vt, tally, voters=frozenset({"c"}), counts={v.YES: 1}, site_id="s1")
    assert again.code == "conflict"


@pytest.mark.parametrize(
    ("secret", "kw", "code"),
    [
        (False, {"by_person": {"a": (v.YES,)}}, "forbidden"),  # not in this hall
        (False, {"by_person": {"guest": (v.YES,)}, "hall_present": frozenset({"guest"})}, "forbidden"),
        (False, {"by_person": {"c": (v.YES,)}, "proxies": (proxy("c", "a"),)}, "forbidden"),  # delegated
        (False, {"by_person": {}}, "invalid_input"),
        (False, {"voters": frozenset({"c"}), "counts": {v.YES: 1}}, "invalid_input"),  # named: per person
        (True, {"by_person": {"c": (v.YES,)}}, "invalid_input"),  # secret: counts
        (True, {"voters": frozenset({"c", "d"}), "counts": {v.YES: 3}}, "invalid_input"),  # more than voted
        (True, {"voters": frozenset({"c", "d"}), "counts": {v.YES: 1}}, "invalid_input"),  # fewer than voted
        (True, {"voters": frozenset({"c"}), "counts": {"maybe": 1}}, "invalid_input"),
        (True, {"voters": frozenset({"c", "d"}), "counts": {v.YES: 3, v.NO: -1}}, "invalid_input"),
        (True, {"voters": frozenset({"a"}), "counts": {v.YES: 1}}, "forbidden"),  # not in this hall
    ],
)
def test_hall_tallies_are_checked(secret: bool, kw: dict[str, object], code: str) -> None:
    assert refusal(hall, opened(secret=secret), **kw).code == code


def test_a_hall_cannot_count_someone_who_voted_on_their_tablet() -> None:
    vt = opened(secret=True)
    tally, _ = cast_all(vt, {"c": (v.YES,)})
    assert refusal(hall, vt, tally, voters=frozenset({"c", "d"}), counts={v.YES: 2}).code == "conflict"


# ---- results --------------------------------------------------------------------------------------------------


def yes_no(y: int, n: int, a: int) -> dict[str, tuple[str, ...]]:
    voters = iter(sorted(MEMBERS))
    picks = [v.YES] * y + [v.NO] * n + [v.ABSTAIN] * a
    return {next(voters): (p,) for p in picks}


@pytest.mark.parametrize(
    ("ballots", "rule", "base", "present", "passed", "tie", "base_size"),
    [
        (yes_no(3, 2, 0), v.MORE_THAN_HALF, v.BASE_MEMBERS, MEMBERS, True, False, 5),
        (yes_no(2, 2, 1), v.MORE_THAN_HALF, v.BASE_MEMBERS, MEMBERS, False, True, 5),  # a tie does not pass
        (yes_no(2, 0, 3), v.MORE_THAN_HALF, v.BASE_MEMBERS, MEMBERS, False, False, 5),  # abstentions are not For
        (yes_no(2, 1, 0), v.MORE_THAN_HALF, v.BASE_MEMBERS, frozenset("abc"), False, False, 5),
        (yes_no(2, 1, 0), v.MORE_THAN_HALF, v.BASE_MEMBERS_PRESENT, frozenset("abc"), True, False, 3),
        (yes_no(2, 0, 1), v.TWO_THIRDS, v.BASE_MEMBERS_PRESENT, frozenset("abc"), True, False, 3),  # exactly 2/3
        (yes_no(3, 0, 0), v.TWO_THIRDS, v.BASE_MEMBERS, MEMBERS, False, False, 5),  # 3/5 < 2/3
        (yes_no(4, 1, 0), v.TWO_THIRDS, v.BASE_MEMBERS, MEMBERS, True, False, 5),
        (yes_no(1, 1, 0), v.MORE_THAN_HALF, v.BASE_MEMBERS_PRESENT, frozenset("ab"), False, True, 2),
        ({}, v.MORE_THAN_HALF, v.BASE_MEMBERS_PRESENT, frozenset(), False, True, 0),  # nobody: not passed, no error
    ],
)
def test_result_rules(
    ballots: dict[str, tuple[str, ...]],
    rule: str,
    base: str,
    present: frozenset[str],
    passed: bool,
    tie: bool,
    base_size: int,
) -> None:
    for secret in (False, True):
        vt = opened(rule=rule, base=base, secret=secret)
        tally, _ = cast_all(vt, ballots, present)
        res = d.result(d.transition(vt, "close", T0), tally, present, ())
        assert (res.passed, res.tie, res.base_size) == (passed, tie, base_size)
        by = {c.choice: c for c in res.counts}
        assert res.abstained == by[v.ABSTAIN].count
        assert by[v.YES].percent == d.percent(by[v.YES].count, base_size)
        assert res.turnout_vi == f"Đã biểu quyết {len(ballots)}/{res.present}"


def test_the_present_base_counts_represented_members_and_everyone_who_voted() -> None:
    proxies = (proxy("a", "b"),)
    vt = opened(base=v.BASE_MEMBERS_PRESENT)
    tally, _ = cast_all(vt, {"a": (v.YES,), "b": (v.YES,), "e": (v.NO,)}, frozenset("bce"), proxies)
    res = d.result(d.transition(vt, "close", T0), tally, frozenset("bc"), (*proxies, proxy("d", "c", "v9")))
    assert res.present == 4 and res.base_size == 4  # a (via b), b, c present; e voted then left
    assert not res.passed  # 2 For of 4: exactly half is not more than half
    assert res.proxies == proxies  # the authorisations for this vote are listed on it
    assert res.turnout_vi == "Đã biểu quyết 3/4" and res.turnout_en == "Voted 3/4"
    assert [c.percent for c in res.counts] == [50.0, 25.0, 0.0]


@pytest.mark.parametrize(
    ("ballots", "seats", "elected", "tied", "passed"),
    [
        ({"a": ("x",), "b": ("x",), "c": ("x",), "d": ("y",)}, 1, ("x",), (), True),
        ({"a": ("x", "y"), "b": ("x", "y"), "c": ("x", "y"), "d": ("z",)}, 2, ("x", "y"), (), True),
        ({"a": ("x", "y"), "b": ("x", "y"), "c": ("x", "y"), "d": ("z",)}, 1, (), ("x", "y"), False),  # tie
        ({"a": ("x", "y"), "b": ("x", "y"), "c": ("x", "z"), "d": ("z",)}, 1, ("x",), (), True),
        ({"a": ("x", "y"), "b": ("x",), "c": ("z",)}, 2, (), (), False),  # x: 2 of 5 is not more than half
        ({"a": ("x", "y"), "b": ("x", "y"), "c": ("x",)}, 2, ("x",), (), False),  # a seat left empty
    ],
)
def test_election_results(
    ballots: dict[str, tuple[str, ...]], seats: int, elected: tuple[str, ...], tied: tuple[str, ...], passed: bool
) -> None:
    vt = options(max_choices=max(seats, max(len(b) for b in ballots.values())))
    vt = dataclasses.replace(vt, max_choices=seats) if seats < vt.max_choices else vt
    tally = d.Tally(vt.id)
    for voter, picked in ballots.items():  # ballots valid under the widest N, tallied under `seats`
        ballot = d.Ballot(voter, picked, voter, T0)
        tally = d.apply(tally, d.BallotCast(vt.id, ballot))
    res = d.result(d.transition(vt, "close", T0), tally, MEMBERS, ())
    assert (res.elected, res.tied, res.passed, res.tie) == (elected, tied, passed, bool(tied))


def test_a_named_tally_is_stored_with_its_ballots() -> None:
    vt = opened(changeable=True)
    tally, _ = cast_all(vt, {"b": (v.NO,), "a": (v.YES,)}, proxies=(proxy("b", "c"),))
    stored = tally.to_dict()
    assert [(b["voter"], b["choices"], b["cast_by"]) for b in stored["ballots"]] == [
        ("a", [v.YES], "a"),
        ("b", [v.NO], "c"),
    ]
    assert d.Tally.from_dict(stored) == tally


def test_no_result_before_the_close() -> None:
    vt = opened()
    assert refusal(d.result, vt, d.Tally(vt.id), MEMBERS, ()).code == "conflict"


# ---- secret means unlinkable ----------------------------------------------------------------------------------


def _strings(value: object) -> Iterable[str]:
    """Every string inside a value: dataclass fields, mappings, collections."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _strings(k)
            yield from _strings(item)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from _strings(item)


def test_a_secret_vote_record_holds_who_voted_and_counts_only() -> None:
    """No event or record that carries a choice also carries a voter, a proxy or an operator."""
    people = MEMBERS | {"op1"}
    choice_ids = set(v.YES_NO_CHOICES)
    proxies = (proxy("a", "b"),)
    vt = opened(secret=True)
    tally, events = cast_all(vt, {"a": (v.YES,), "b": (v.NO,), "c": (v.ABSTAIN,)}, MEMBERS, proxies)
    hall_events = hall(vt, tally, voters=frozenset({"d", "e"}), counts={v.YES: 2})
    for event in hall_events:
        tally = d.apply(tally, event)
    for event in (*events, *hall_events):
        words = set(_strings(event))
        assert not (words & people and words & choice_ids), event  # a voter and a choice never travel together
        assert not isinstance(event, d.BallotCast)
    assert [type(e) for e in events] == [d.TurnoutMarked, d.CountsAdded] * 3
    assert tally.ballots == {} and tally.voted == MEMBERS
    assert dict(tally.counts) == {v.YES: 3, v.NO: 1, v.ABSTAIN: 1}
    assert {f.name for f in dataclasses.fields(d.CountsAdded)} == {"vote_id", "counts"}
    stored = tally.to_dict()  # what storage keeps: who voted (sorted, no order of arrival) and the counts
    assert stored == {
        "vote_id": "v1",
        "voted": sorted(MEMBERS),
        "counts": {v.ABSTAIN: 1, v.NO: 1, v.YES: 3},
        "halls": ["s1"],
    }
    assert d.Tally.from_dict(stored) == tally
    res = d.result(d.transition(vt, "close", T0), tally, MEMBERS, proxies)
    assert res.passed and res.turnout_vi == "Đã biểu quyết 5/5"
    # the result lists proxies (who represented whom) but no ballot
    assert not set(_strings(res.counts)) & people


def test_the_vocabulary_names_votes_once() -> None:
    assert set(v.VOTE_STATUSES) == set(v.VOTE_STATUS_WORDS) == {s for _, s in d.TRANSITIONS.values()} | {v.DRAFT}
    assert set(v.CHOICE_WORDS) == set(v.YES_NO_CHOICES)
    assert {v.VOTE_MANAGE, v.VOTE_CAST, v.VOTE_HALL_TALLY} <= set(v.MEETING_PERMISSIONS)
    assert v.VOTE_HALL_TALLY in v.role_grants(v.SITE_OPERATOR) and v.VOTE_CAST not in v.role_grants(v.OBSERVER)


# ---- stand-ins (cử người dự thay, domain/answers.py): the stand-in holds the member's proxy --------------------


def stand_in(delegator: str, holder: str) -> d.Proxy:
    return dataclasses.replace(proxy(delegator, holder, pid=f"standin:{delegator}"), stand_in=True)


@pytest.mark.parametrize(
    ("existing", "new", "code"),
    [
        ((), stand_in("a", "s"), None),  # the stand-in need not be a member
        ((), stand_in("guest", "s"), "forbidden"),  # the member must be one
        ((proxy("a", "b"),), stand_in("a", "s"), "conflict"),  # a proxy already stands for the member
        ((stand_in("a", "s"),), proxy("a", "b"), "conflict"),  # and the other way round
        ((stand_in("a", "b"),), proxy("b", "c"), "forbidden"),  # a member stand-in delegates nothing: no chain
        ((proxy("c", "a"),), stand_in("a", "s"), "forbidden"),  # a member holding a proxy sends no stand-in
        ((stand_in("a", "s"),), proxy("s", "b"), "forbidden"),  # the stand-in is no member: gives no proxy
    ],
)
def test_a_stand_ins_proxy_keeps_the_chain_and_cycle_refusals(
    existing: tuple[d.Proxy, ...], new: d.Proxy, code: str | None
) -> None:
    if code is None:
        assert d.authorise(existing, new, MEMBERS)[-1] == new
    else:
        assert refusal(d.authorise, existing, new, MEMBERS).code == code


@pytest.mark.parametrize(
    ("voter", "cast_by", "present", "code"),
    [
        ("a", "s", MEMBERS | {"s"}, None),  # the stand-in casts the member's ballot
        ("s", "s", MEMBERS | {"s"}, "forbidden"),  # and has no ballot of their own
        ("a", "a", MEMBERS | {"s"}, "forbidden"),  # the member represented casts nothing
        ("a", "s", MEMBERS, "forbidden"),  # a stand-in not checked in casts nothing
        ("b", "s", MEMBERS | {"s"}, "forbidden"),  # nor for another member
    ],
)
def test_a_stand_in_casts_the_members_ballot_only(
    voter: str, cast_by: str, present: frozenset[str], code: str | None
) -> None:
    vt, proxies = opened(), (stand_in("a", "s"),)
    args = {"voter": voter, "cast_by": cast_by, "choices": (v.YES,), "present": present, "proxies": proxies}
    if code is None:
        (event,) = d.cast(vt, d.Tally(vt.id), at=T0, **args)  # type: ignore[arg-type]
        assert isinstance(event, d.BallotCast) and (event.ballot.voter, event.ballot.cast_by) == ("a", "s")
        assert d.eligible(vt, frozenset({"s"}), proxies) == {"a"}
    else:
        assert refusal(d.cast, vt, d.Tally(vt.id), at=T0, **args).code == code


def test_a_stand_ins_proxy_is_on_the_result() -> None:
    proxies = (stand_in("a", "s"),)
    vt = opened()
    tally, _ = cast_all(vt, {"a": (v.YES,), "b": (v.YES,)}, frozenset({"b", "s"}), proxies)
    result = d.result(d.transition(vt, "close", T0), tally, frozenset({"b", "s"}), proxies)
    assert result.proxies == proxies and result.proxies[0].stand_in and result.present == 2
