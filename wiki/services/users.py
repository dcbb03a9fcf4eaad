"""Accounts: creation, validation, password checks and changes."""
import re
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from wiki.extensions import db
from wiki.models import ROLES, User, new_session_token
from wiki.services import availability
from wiki.services.errors import Conflict, InvalidInput, NotFound

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")
MIN_PASSWORD_LENGTH = 10  # the default; the app passes its MIN_PASSWORD_LENGTH setting
DEFAULT_HASH_METHOD = "scrypt"
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


def validate_password(password: str, username: str, min_length: int = MIN_PASSWORD_LENGTH) -> None:
    """Raise InvalidInput unless the password is acceptable for this user."""
    if len(password) < min_length:
        raise InvalidInput(f"A password needs at least {min_length} characters.", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"A password can have at most {MAX_PASSWORD_LENGTH} characters.", field="password")
    if password.casefold() == username.strip().casefold():
        raise InvalidInput("The password must not be the username.", field="password")


def find_user(username: str) -> User | None:
    """The user with this name in any letter case, or None."""
    return db.session.scalar(select(User).where(User.username_key == username_key(username)))


def create_user(username: str, password: str | None, role: str = "editor",
                min_length: int = MIN_PASSWORD_LENGTH, hash_method: str = DEFAULT_HASH_METHOD,
                active: bool = True, commit: bool = True) -> User:
    """Create an account. Raises InvalidInput or Conflict; nothing is written then.

    ``password=None`` makes an account nobody can log in to until a password is set.
    """
    username = validate_username(username)
    if password is not None:
        validate_password(password, username, min_length)
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.", field="role")
    if find_user(username) is not None:
        raise Conflict(f"The username “{username}” is taken.", field="username")
    user = User(
        username=username,
        username_key=username_key(username),
        password_hash=generate_password_hash(password, hash_method) if password is not None else UNUSABLE_HASH,
        role=role,
        active=active,
    )
    db.session.add(user)
    try:
        if commit:
            availability.commit("the new account")
        else:
            db.session.flush()
    except IntegrityError:  # registered at the same moment by someone else
        db.session.rollback()
        raise Conflict(f"The username “{username}” is taken.", field="username") from None
    return user


def authenticate(username: str, password: str, hash_method: str = DEFAULT_HASH_METHOD) -> User | None:
    """The active user with these credentials, or None (whatever was wrong).

    A hash made with another method than ``hash_method`` (the setting changed since the
    password was set) is replaced by a new one while the password is at hand.
    """
    user = find_user(username) if len(password) <= MAX_PASSWORD_LENGTH else None
    if user is None or user.password_hash == UNUSABLE_HASH:
        check_password_hash(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    if hash_prefix(user.password_hash) != method_prefix(hash_method):
        user.password_hash = generate_password_hash(password, hash_method)
        availability.commit(None)  # the old hash and the new one accept the same password
    return user


# Stored instead of a hash for accounts nobody may log in to (imported without their hash,
# system accounts): werkzeug's check_password_hash is False for it whatever the password.
UNUSABLE_PASSWORD = UNUSABLE_HASH = "!"


def hash_prefix(password_hash: str) -> str:
    """The method part of a werkzeug hash: 'scrypt:32768:8:1', 'pbkdf2:sha256:1000000'."""
    return password_hash.split("$", 1)[0]


@lru_cache(maxsize=8)
def method_prefix(hash_method: str) -> str:
    """The prefix hashes made with ``hash_method`` carry (defaults spelled out)."""
    return hash_prefix(generate_password_hash("probe", hash_method))


def set_password(user: User, new_password: str, min_length: int = MIN_PASSWORD_LENGTH,
                 hash_method: str = DEFAULT_HASH_METHOD) -> None:
    """Give ``user`` a new password and end every session it has (a new session token)."""
    validate_password(new_password, user.username, min_length)
    user.password_hash = generate_password_hash(new_password, hash_method)
    user.session_token = new_session_token()
    availability.commit("your new password")


def change_password(user: User, current_password: str, new_password: str,
                    min_length: int = MIN_PASSWORD_LENGTH, hash_method: str = DEFAULT_HASH_METHOD) -> None:
    """The account's own password change: the current password must be right."""
    if len(current_password) > MAX_PASSWORD_LENGTH or not check_password_hash(user.password_hash, current_password):
        raise InvalidInput("Your current password is not right; nothing was changed.", field="current_password")
    if new_password == current_password:
        raise InvalidInput("The new password is the same as the current one.", field="password")
    set_password(user, new_password, min_length, hash_method)


def set_password_by_name(username: str, password: str, min_length: int = MIN_PASSWORD_LENGTH,
                         hash_method: str = DEFAULT_HASH_METHOD) -> User:
    """Give an existing account a new password (ending its sessions). Raises NotFound or InvalidInput."""
    user = find_user(username)
    if user is None:
        raise NotFound(f"There is no user called “{username.strip()}”.")
    set_password(user, password, min_length, hash_method)
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
