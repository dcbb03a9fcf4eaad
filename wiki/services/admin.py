"""Administration: roles, deactivation, page protection, invitations; each action audited.

Every function takes the acting admin and writes one AuditEvent in the same transaction as
the change, so the log cannot miss an action that happened.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from wiki.extensions import db
from wiki.models import ROLES, AuditEvent, Invitation, Page, User, new_session_token, utcnow
from wiki.services import availability
from wiki.services.errors import Conflict, InvalidInput, NotFound

PROTECTION_LEVELS = ("none", "admin")


def _audit(actor: User | None, action: str, target: str, detail: str = "") -> None:
    db.session.add(AuditEvent(actor=actor, action=action, target=target[:255], detail=detail[:500]))


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username_key)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    return user


def _active_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active))


def set_role(actor: User, user: User, role: str) -> bool:
    """Change ``user``'s role; False when it already had it. The last admin stays admin."""
    if role not in ROLES:
        raise InvalidInput(f"Unknown role “{role}”; choose one of {', '.join(ROLES)}.", field="role")
    if user.role == role:
        return False
    if user.role == "admin" and user.active and _active_admins() <= 1:
        raise Conflict(f"{user.username} is the only active administrator; make someone else an "
                       "administrator first.")
    _audit(actor, "role", user.username, f"{user.role} → {role}")
    user.role = role
    availability.commit(f"the change of {user.username}'s role")
    return True


def set_active(actor: User, user: User, active: bool) -> bool:
    """Deactivate (every session ends at once) or reactivate an account."""
    if user.active == active:
        return False
    if not active:
        if user.id == actor.id:
            raise Conflict("You cannot deactivate your own account.")
        if user.role == "admin" and _active_admins() <= 1:
            raise Conflict(f"{user.username} is the only active administrator.")
        user.session_token = new_session_token()  # sessions and remember-me cookies stop working
    _audit(actor, "activate" if active else "deactivate", user.username)
    user.active = active
    availability.commit(f"the {'reactivation' if active else 'deactivation'} of {user.username}")
    return True


def set_protection(actor: User, page: Page, level: str) -> bool:
    """Protect a page (only admins may change it) or lift the protection."""
    if level not in PROTECTION_LEVELS:
        raise InvalidInput(f"Unknown protection “{level}”.", field="protection")
    if page.protection == level:
        return False
    _audit(actor, "protect" if level == "admin" else "unprotect", page.title)
    page.protection = level
    availability.commit(f"the change of protection of “{page.title}”")
    return True


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_invitation(actor: User, role: str, note: str, days: int) -> str:
    """A new single-use invitation; returns its token (shown once, only its hash is kept)."""
    if role not in ROLES:
        raise InvalidInput(f"Unknown role “{role}”.", field="role")
    if not 1 <= days <= 365:
        raise InvalidInput("An invitation lasts 1 to 365 days.", field="days")
    token = secrets.token_hex(20)  # hex: nothing to misread when copied
    db.session.add(Invitation(token_hash=_token_hash(token), role=role, note=note.strip()[:200],
                              created_by=actor, expires_at=utcnow() + timedelta(days=days)))
    _audit(actor, "invite", note.strip()[:200] or "(no note)", f"role {role}, {days} days")
    availability.commit("the new invitation")
    return token


def find_invitation(token: str, now: datetime | None = None) -> Invitation | None:
    """The usable invitation with this token, or None (unknown, used, revoked or expired)."""
    if not token or len(token) > 200:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if invitation is None or invitation.used_at is not None or invitation.revoked:
        return None
    if invitation.expires_at <= (now or utcnow()):
        return None
    return invitation


def use_invitation(invitation: Invitation, user: User) -> None:
    """Mark an invitation used by the account just created from it (caller commits)."""
    invitation.used_at = utcnow()
    invitation.used_by = user
    _audit(user, "invitation used", user.username, f"role {invitation.role}")


def list_invitations() -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).order_by(Invitation.created_at.desc()).limit(200)))


def revoke_invitation(actor: User, invitation_id: int) -> None:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("There is no such invitation.")
    if invitation.used_at is not None or invitation.revoked:
        raise Conflict("This invitation was already used or revoked.")
    invitation.revoked = True
    _audit(actor, "revoke invitation", invitation.note or f"#{invitation.id}")
    availability.commit("the revocation of the invitation")


def audit_log(page_number: int, per_page: int) -> tuple[list[AuditEvent], bool]:
    """One page of the audit log, newest first, and whether there is a next page."""
    rows = list(db.session.scalars(
        select(AuditEvent).options(db.joinedload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page_number - 1) * per_page).limit(per_page + 1)
    ))
    return rows[:per_page], len(rows) > per_page


def user_counts() -> dict[str, int]:
    """Accounts by role, and the inactive ones (issue 20: the admin dashboard), in one query."""
    rows = db.session.execute(select(User.role, User.active, func.count()).group_by(User.role, User.active)).all()
    counts = {"total": 0, "inactive": 0, **dict.fromkeys(ROLES, 0)}
    for role, active, n in rows:
        counts["total"] += n
        counts[role] = counts.get(role, 0) + n
        if not active:
            counts["inactive"] += n
    return counts
