"""How a person is named on screen, in messages and in exports: one rule for every app."""


def display_name(user):
    """'Анна Смирнова', or the username when the profile has no name."""
    return user.get_full_name() or user.username
