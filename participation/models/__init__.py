from .accounts import Profile
from .complaints import Complaint, ComplaintAttachment, ComplaintEvent
from .notices import Notification
from .places import District, MunicipalUnit, UnitMembership
from .proposals import Comment, ContentReport, Follow, Proposal, ProposalCategory, ProposalTag, Support

__all__ = [
    "Comment",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintEvent",
    "ContentReport",
    "District",
    "Follow",
    "MunicipalUnit",
    "Notification",
    "Profile",
    "Proposal",
    "ProposalCategory",
    "ProposalTag",
    "Support",
    "UnitMembership",
]
