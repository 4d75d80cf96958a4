"""Public proposals in the portal's search (see ``search.registry``)."""

from django.utils.translation import gettext_lazy as _

from search.registry import SearchDocumentData, SearchType, register


def public_proposals():
    from participation.models import Proposal

    # Hidden (reported) or removed proposals are not public.
    return Proposal.objects.visible()


def proposal_document(proposal) -> SearchDocumentData:
    return SearchDocumentData(
        title=proposal.title,
        url=proposal.get_absolute_url(),
        slug=str(proposal.pk),
        strong=[],
        text=[
            proposal.body,
            " · ".join(tag.name for tag in proposal.tags.all()),
            proposal.category.name if proposal.category_id else "",
        ],
        language="es",
    )


register(
    SearchType(
        name="proposal",
        label=_("Propuestas"),
        model="participation.Proposal",
        queryset=public_proposals,
        document=proposal_document,
        prefetch=("tags", "category"),
    )
)
