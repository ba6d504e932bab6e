"""Every session works for one ward, or knowingly for all of them.

A session's ward is `session.info["ward_id"]` (storage.db.session_scope(ward_id=...); the
`default` ward when nobody says otherwise, which is all a single-ward deployment ever has).
Two hooks make the scope hold for every query rather than for the queries someone remembered:
- ORM SELECT / UPDATE / DELETE of a ward-scoped model (storage.base.WardScoped) get
  `ward_id = <the session's ward>` added, lazy loads and relationships included;
- a new ward-scoped row gets the session's ward id before it is flushed.
So a ticket code, a resident's Zalo id or a tổ code typed in one ward never finds another
ward's record. The queues that serve every ward (the inbox, the outbox, the scheduler's loops)
open their session with ALL_WARDS and name the ward of each row they act on.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from storage.base import DEFAULT_WARD_ID, WardScoped

ALL_WARDS = 0  # no ward id is 0: a session that acts for every ward, on purpose


class WardScopeError(RuntimeError):
    """A row was written without a ward by a session that serves all wards."""


def ward_of(session: Session) -> int:
    """The ward this session works for (ALL_WARDS for the cross-ward queues)."""
    return session.info.get("ward_id", DEFAULT_WARD_ID)


def use_ward(session: Session, ward_id: int) -> None:
    """Switch the session to `ward_id` (a queue worker, once it knows the row's ward)."""
    session.info["ward_id"] = ward_id


@event.listens_for(Session, "do_orm_execute")
def _only_this_ward(state: ORMExecuteState) -> None:
    ward_id = ward_of(state.session)
    if ward_id == ALL_WARDS or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent row was loaded under the same criteria
    state.statement = state.statement.options(
        with_loader_criteria(WardScoped, lambda cls: cls.ward_id == ward_id, include_aliases=True))


@event.listens_for(Session, "before_flush")
def _new_rows_join_the_ward(session: Session, _context, _instances) -> None:
    ward_id = ward_of(session)
    for obj in session.new:
        if isinstance(obj, WardScoped) and obj.ward_id is None:
            if ward_id == ALL_WARDS:
                raise WardScopeError(f"{type(obj).__name__} written without a ward")
            obj.ward_id = ward_id
