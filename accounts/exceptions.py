"""Domain errors the account services raise; views turn them into messages."""


class AccountError(Exception):
    message = "This could not be done."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class EmailTaken(AccountError):
    message = "An account with this e-mail address already exists. Log in or reset your password."
