"""flask create-user: the password comes from stdin or a prompt, never an argument."""
from tests.conftest import PASSWORD, post_form


def test_create_admin_from_stdin_then_log_in(client, runner):
    result = runner.invoke(args=["create-user", "root-admin", "--role", "admin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created admin root-admin." in result.output
    response = post_form(client, "/-/login", {"username": "root-admin", "password": PASSWORD})
    assert response.status_code == 303


def test_create_user_refuses_a_weak_password(runner):
    result = runner.invoke(args=["create-user", "bob"], input="short\n")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output


def test_create_user_refuses_a_taken_name(runner, make_user):
    make_user("bob")
    result = runner.invoke(args=["create-user", "BOB"], input=PASSWORD + "\n")
    assert result.exit_code != 0
    assert "is taken" in result.output
