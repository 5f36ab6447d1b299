from maps.workshop.selectors import unread_mentions


def mentions(request) -> dict:
    """The header's "Mentions (n)": one count query, for signed-in people only, done lazily so
    that a page which never shows the header does not pay for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_mentions": lambda: unread_mentions(user=user)}
