"""One-click unsubscribe from a mailing (the new-routes e-mail, the monthly report): a signed
link, no login needed.

The token is the user's id and the list it unsubscribes from, signed with SECRET_KEY and a salt
of its own, so a token made for anything else (a password reset, another signed value) never
passes here, and one made for one list cannot be turned into one for another. It does not
expire: an unsubscribe link in an old e-mail must still work. Tokens made before there was
more than one list carry the user's id only; they mean the new-routes e-mail.
"""

from dataclasses import dataclass

from django.core import signing

from .models import User

# Unchanged since tokens named only the user: their signatures must still check out.
SALT = "accounts.unsubscribe.new-routes"


@dataclass(frozen=True)
class EmailList:
    key: str  # what the token carries
    field: str  # the User preference that unsubscribing turns off
    name: str  # "You are unsubscribed from ..." / "no more ..."
    what_stops: str  # the question on the confirmation page: "Stop ... to <address>?"


ROUTES = "routes"
REPORT = "report"
EMAIL_LISTS = {
    ROUTES: EmailList(
        key=ROUTES,
        field="email_new_routes",
        name="e-mails about new routes",
        what_stops="the occasional evening e-mails about new routes",
    ),
    REPORT: EmailList(
        key=REPORT,
        field="email_monthly_report",
        name="monthly summaries of your trips",
        what_stops="the monthly summary of your trips, sent on the 1st of each month,",
    ),
}


class BadUnsubscribeToken(Exception):
    """The link was altered, cut short, or made for something else."""


@dataclass(frozen=True)
class Unsubscribe:
    user: User
    email_list: EmailList

    @property
    def subscribed(self) -> bool:
        return bool(getattr(self.user, self.email_list.field))


def unsubscribe_token(*, user_id: int, email_list: str = ROUTES) -> str:
    """The token for the link that takes `user_id` off `email_list` (a key of EMAIL_LISTS)."""
    if email_list not in EMAIL_LISTS:
        raise ValueError(f"No such e-mail list: {email_list!r}")
    return signing.dumps({"u": user_id, "l": email_list}, salt=SALT, compress=False)


def unsubscribe_read(*, token: str) -> Unsubscribe:
    """The user and the list the token was made for (a token with no list: new routes).
    Raises BadUnsubscribeToken for a tampered or foreign token, an unknown list, or a user who
    no longer exists."""
    try:
        payload = signing.loads(token, salt=SALT)
        user_id = int(payload["u"])
        email_list = EMAIL_LISTS[payload.get("l", ROUTES)]
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError) as error:
        raise BadUnsubscribeToken() from error
    if not 0 < user_id < 2**63:
        raise BadUnsubscribeToken()
    try:
        return Unsubscribe(user=User.objects.get(pk=user_id), email_list=email_list)
    except User.DoesNotExist as error:
        raise BadUnsubscribeToken() from error


def unsubscribe_user(*, token: str) -> User:
    """The user the token was made for. Raises BadUnsubscribeToken (see unsubscribe_read)."""
    return unsubscribe_read(token=token).user


def user_list_emails_stop(*, token: str) -> bool:
    """Turn off, for the user the token names, the one preference of the list it names; the
    other lists are left as they are. Returns True if this call turned it off, False if it was
    off already (a second click changes nothing).
    Raises BadUnsubscribeToken; then nothing is changed."""
    target = unsubscribe_read(token=token)
    field = target.email_list.field
    return bool(User.objects.filter(pk=target.user.pk, **{field: True}).update(**{field: False}))
