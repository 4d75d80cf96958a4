"""Who may do what with search's admin data."""

from wagtail.permission_policies import ModelPermissionPolicy

READ_ONLY_DENIED = frozenset({"add", "change"})


class ReportPermissionPolicy(ModelPermissionPolicy):
    """Reports are written by the portal, never by hand: staff may view and delete (clear) them."""

    def user_has_permission(self, user, action):
        return action not in READ_ONLY_DENIED and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)
