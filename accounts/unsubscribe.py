"""One-click unsubscribe from the new-routes e-mail: a signed link, no login needed.

The token is the user's id signed with SECRET_KEY and a salt of its own, so a token made for
anything else (a password reset, another signed value) never passes here. It does not expire:
an unsubscribe link in an old e-mail must still work.
"""

from django.core import signing

from .models import User

SALT = "accounts.unsubscribe.new-routes"


class BadUnsubscribeToken(Exception):
    """The link was altered, cut short, or made for something else."""


def unsubscribe_token(*, user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=SALT, compress=False)


def unsubscribe_user(*, token: str) -> User:
    """The user the token was made for. Raises BadUnsubscribeToken for a tampered or foreign
    token, or one whose user no longer exists."""
    try:
        payload = signing.loads(token, salt=SALT)
        user_id = int(payload["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise BadUnsubscribeToken() from error
    if not 0 < user_id < 2**63:
        raise BadUnsubscribeToken()
    try:
        return User.objects.get(pk=user_id)
    except User.DoesNotExist as error:
        raise BadUnsubscribeToken() from error


def user_route_emails_stop(*, token: str) -> bool:
    """Turn the new-routes e-mail off for the user the token names. Returns True if this call
    turned it off, False if it was off already (a second click changes nothing).
    Raises BadUnsubscribeToken; then nothing is changed."""
    user = unsubscribe_user(token=token)
    return bool(User.objects.filter(pk=user.pk, email_new_routes=True).update(email_new_routes=False))
