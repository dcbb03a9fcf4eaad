"""Personal access tokens on the account page (issue 17): make one (shown once), revoke one."""
from flask import flash, redirect, url_for
from flask_login import current_user

from wiki.blueprints.auth.forms import TokenForm
from wiki.blueprints.auth.views import account_page, bp
from wiki.services import apitokens as tokens
from wiki.services.errors import InvalidInput


@bp.app_template_global("account_tokens")
def account_tokens():
    """The current user's tokens, with their state, for templates/auth/_tokens.html."""
    return [(token, tokens.state(token)) for token in tokens.tokens_of(current_user)]


@bp.app_template_global("token_form")
def token_form():
    return TokenForm(formdata=None)


@bp.post("/-/account/tokens")
def create_token():
    form = TokenForm()
    if form.validate():
        try:
            made = tokens.create_token(current_user._get_current_object(), form.name.data, form.scope.data,
                                       int(form.days.data) or None)
        except InvalidInput as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            # Shown on this answer only: the token is not stored, so it cannot be shown again.
            return account_page(new_token=made)
    return account_page(status=400, token_form_errors=form)


@bp.post("/-/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id):
    try:
        token = tokens.revoke(current_user._get_current_object(), token_id)
    except InvalidInput as error:
        flash(str(error), "error")
    else:
        flash(f"The token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for("auth.account") + "#tokens", code=303)
