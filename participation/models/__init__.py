from .accounts import Profile
from .complaints import Complaint, ComplaintAttachment, ComplaintEvent, ProblemType
from .notices import Notification
from .places import District, MunicipalUnit, UnitMembership
from .proposals import (
    Comment,
    ContentReport,
    Follow,
    ModerationDecision,
    Proposal,
    ProposalCategory,
    ProposalTag,
    Support,
    SupportTally,
)
from .settings import ParticipationSettings

__all__ = [
    "Comment",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintEvent",
    "ContentReport",
    "District",
    "Follow",
    "ModerationDecision",
    "MunicipalUnit",
    "Notification",
    "ParticipationSettings",
    "ProblemType",
    "Profile",
    "Proposal",
    "ProposalCategory",
    "ProposalTag",
    "Support",
    "SupportTally",
    "UnitMembership",
]
