"""The JSON API's pure pieces: problem documents, cursors, webhook signatures, URL targets."""
import pytest

from wiki.core.api import addresses, cursors, problems, signing
from wiki.core.errors import InvalidInput


def test_a_problem_has_the_rfc_9457_members_and_extensions():
    assert problems.problem(404, "No page") == {"type": "about:blank", "title": "Not Found", "status": 404,
                                                "detail": "No page"}
    typed = problems.problem(409, "overlap", type_="edit-conflict", title="Edit conflict", current_revision=3)
    assert typed["type"] == problems.TYPE_BASE + "edit-conflict" and typed["current_revision"] == 3
    assert problems.problem(599)["title"] == "Error"


@pytest.mark.parametrize("values, kinds", [(["concepts/caching"], (str,)), ([7], (int,)), (["é/ü", 3], (str, int))])
def test_cursors_round_trip(values, kinds):
    cursor = cursors.encode(values)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor  # URL-safe as it is
    assert cursors.decode(cursor, kinds) == values


@pytest.mark.parametrize("cursor, kinds", [
    ("", (str,)), ("!!!", (str,)), ("bm9wZQ", (str,)), (cursors.encode([1]), (str,)),
    (cursors.encode([True]), (int,)), (cursors.encode(["a", "b"]), (str,)), ("A" * 2000, (str,)),
    (cursors.encode({"a": 1}), (str,)),
])
def test_malformed_cursors_are_invalid_input_never_a_crash(cursor, kinds):
    with pytest.raises(InvalidInput) as raised:
        cursors.decode(cursor, kinds)
    assert raised.value.field == "cursor"


def test_signatures_verify_only_the_same_body_and_secret():
    body = b'{"event": "page.saved"}'
    header = signing.sign("secret", body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert signing.verify("secret", body, header)
    assert not signing.verify("secret", body + b" ", header)
    assert not signing.verify("other", body, header)
    assert not signing.verify("secret", body, header.replace("sha256=", "sha1="))
    assert not signing.verify("secret", body, None)


def test_a_known_signature():
    # printf '%s' 'hello' | openssl dgst -sha256 -hmac key
    assert signing.sign("key", b"hello") == "sha256=9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b"


@pytest.mark.parametrize("url, target", [
    ("https://hooks.example.org/in?x=1", ("https", "hooks.example.org", 443, "/in?x=1")),
    ("http://example.org", ("http", "example.org", 80, "/")),
    ("http://[::1]:8080/h", ("http", "::1", 8080, "/h")),
])
def test_targets_are_split_once(url, target):
    assert addresses.check_target(url) == target


def test_refusal_says_why_unless_private_targets_are_allowed():
    assert "loopback" in addresses.refusal("127.0.0.1", allow_private=False)
    assert addresses.refusal("127.0.0.1", allow_private=True) is None
    assert addresses.refusal("93.184.216.34", allow_private=False) is None
