from django import template

from participation import selectors

register = template.Library()


@register.simple_tag
def unread_count(user) -> int:
    return selectors.unread_notification_count(user=user)
