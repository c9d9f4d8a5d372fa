"""What a staff sign-in answers when it cannot go on. None says whether an account exists."""

from backend.core.errors import Forbidden, NotFound, TandemError, Unauthenticated


class SsoNotAvailable(NotFound):
    """No sign-in is configured for this organisation (or it does not exist)."""


class SignInAttemptInvalid(TandemError):
    status_code = 400
    code = "sso_attempt_invalid"

    def __init__(self) -> None:
        super().__init__("This sign-in has expired or was used already. Please start again.")


class SignInCancelled(TandemError):
    status_code = 400
    code = "sso_cancelled"

    def __init__(self) -> None:
        super().__init__("Your organisation's sign-in did not complete. Please start again.")


class ProviderUnreachable(TandemError):
    status_code = 400
    code = "sso_provider_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Your organisation's sign-in service could not be reached. Please try again later."
        )


class SignInRefused(Unauthenticated):
    code = "sso_refused"

    def __init__(self) -> None:
        super().__init__("Your organisation's sign-in could not be verified. Please start again.")


class DomainRefused(Forbidden):
    code = "sso_domain_refused"

    def __init__(self) -> None:
        super().__init__("This address is not one this organisation signs in with.")
