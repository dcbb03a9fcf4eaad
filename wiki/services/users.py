"""Accounts: creation, validation and password checks."""
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from wiki.extensions import db
from wiki.models import ROLES, User
from wiki.services.errors import Conflict, InvalidInput, NotFound

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # hashing megabytes of "password" would be a cheap DoS

# Checked against when the username is unknown, so a wrong username costs as much time as
# a wrong password and the response time does not tell whether an account exists.
_DUMMY_HASH = generate_password_hash("not a real password")


def username_key(username: str) -> str:
    """Key for case-insensitive uniqueness and look-up."""
    return username.strip().casefold()


def validate_username(username: str) -> str:
    """Return the cleaned username or raise InvalidInput with a clear message."""
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            "A username is 2 to 32 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
            field="username",
        )
    return username


def validate_password(password: str, username: str) -> None:
    """Raise InvalidInput unless the password is acceptable for this user."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"A password can have at most {MAX_PASSWORD_LENGTH} characters.", field="password")
    if password.casefold() == username.strip().casefold():
        raise InvalidInput("The password must not be the username.", field="password")


def find_user(username: str) -> User | None:
    """The user with this name in any letter case, or None."""
    return db.session.scalar(select(User).where(User.username_key == username_key(username)))


def create_user(username: str, password: str, role: str = "editor") -> User:
    """Create an account. Raises InvalidInput or Conflict; nothing is written then."""
    username = validate_username(username)
    validate_password(password, username)
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.", field="role")
    if find_user(username) is not None:
        raise Conflict(f"The username “{username}” is taken.", field="username")
    user = User(
        username=username,
        username_key=username_key(username),
        password_hash=generate_password_hash(password),
        role=role,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # registered at the same moment by someone else
        db.session.rollback()
        raise Conflict(f"The username “{username}” is taken.", field="username") from None
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (whatever was wrong)."""
    user = find_user(username) if len(password) <= MAX_PASSWORD_LENGTH else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


# Stored instead of a hash for accounts nobody may log in to (imported without their hash,
# system accounts): werkzeug's check_password_hash is False for it whatever the password.
UNUSABLE_PASSWORD = "!"


def set_password(username: str, password: str) -> User:
    """Give an existing account a new password. Raises NotFound or InvalidInput."""
    user = find_user(username)
    if user is None:
        raise NotFound(f"There is no user called “{username.strip()}”.")
    validate_password(password, user.username)
    user.password_hash = generate_password_hash(password)
    db.session.commit()
    return user


def get_or_create_system_user(username: str) -> tuple[User, bool]:
    """The account ``username``, created inactive and without a usable password if missing
    (so nobody can log in as it); returns (user, created). Raises InvalidInput."""
    user = find_user(username)
    if user is not None:
        return user, False
    username = validate_username(username)
    user = User(username=username, username_key=username_key(username),
                password_hash=UNUSABLE_PASSWORD, role="editor", active=False)
    db.session.add(user)
    db.session.commit()
    return user, True
