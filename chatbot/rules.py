"""Who may do what in the chatbot app."""


def can_view_chat_log(user) -> bool:
    """Editors with the log's view permission (and superusers) read the unanswered questions."""
    return bool(user and user.is_active and (user.is_superuser or user.has_perm("chatbot.view_chatexchange")))
