"""Writes of the participation app (keyword-only, typed, transactional)."""

from ayni.ratelimit import RateLimited

from .accounts import (
    account_password_reset_throttle,
    account_register,
    account_verification_send,
    account_verify_email,
    profile_update,
    role_groups_ensure,
)
from .complaints import (
    complaint_assign,
    complaint_change_status,
    complaint_create,
    complaint_note,
    complaint_personal_data_purge,
    complaint_reply,
    complaint_track,
)
from .proposals import (
    comment_create,
    content_report,
    moderation_decide,
    proposal_answer,
    proposal_create,
    proposal_follow,
    proposal_support,
    proposal_unfollow,
    proposal_update,
    proposal_withdraw_support,
    support_counts_poll,
    support_counts_rollup,
    support_tallies_rebuild,
    supports_relevel,
)

__all__ = [
    "RateLimited",
    "account_password_reset_throttle",
    "account_register",
    "account_verification_send",
    "account_verify_email",
    "comment_create",
    "complaint_assign",
    "complaint_change_status",
    "complaint_create",
    "complaint_note",
    "complaint_personal_data_purge",
    "complaint_reply",
    "complaint_track",
    "content_report",
    "moderation_decide",
    "profile_update",
    "role_groups_ensure",
    "proposal_answer",
    "proposal_create",
    "proposal_follow",
    "proposal_support",
    "proposal_unfollow",
    "proposal_update",
    "proposal_withdraw_support",
    "support_counts_poll",
    "support_counts_rollup",
    "support_tallies_rebuild",
    "supports_relevel",
]
