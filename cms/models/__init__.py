from .base import AyniBasePage
from .feedback import GuideFeedback
from .guides import GuideAlias, GuideIndexPage, GuideLegalBasis, GuidePage, GuidePageTag, GuideRequirement, GuideStep
from .home import HomePage
from .news import NewsIndexPage, NewsPage
from .regulations import RegulationIndexPage, RegulationPage
from .settings import PortalSettings
from .snippets import GuideCategory, Office
from .transparency import TransparencyDocument, TransparencyIndexPage, TransparencyPage

__all__ = [
    "AyniBasePage",
    "GuideAlias",
    "GuideCategory",
    "GuideFeedback",
    "GuideIndexPage",
    "GuideLegalBasis",
    "GuidePage",
    "GuidePageTag",
    "GuideRequirement",
    "GuideStep",
    "HomePage",
    "NewsIndexPage",
    "NewsPage",
    "Office",
    "PortalSettings",
    "RegulationIndexPage",
    "RegulationPage",
    "TransparencyDocument",
    "TransparencyIndexPage",
    "TransparencyPage",
]
