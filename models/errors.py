"""Domain errors whose message is fit to show to the person who caused them."""


class DomainError(Exception):
    """A refused operation; str(error) is the Chinese message for the user."""


class NotFound(DomainError):
    """The thing named does not exist (or may not be seen by this person)."""


class NotAllowed(DomainError):
    """The person lacks the role or scope for this operation."""


class InvalidTransition(DomainError):
    """The ticket is not in a state that allows this operation."""


class AlreadyClaimed(InvalidTransition):
    """Someone else grabbed the ticket first."""


class BadInput(DomainError):
    """The input was malformed, too long or otherwise unusable."""
