from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from chatbot import rules
from chatbot.admin_views import UnansweredAliasView, UnansweredHandledView, UnansweredQuestionsReportView


@hooks.register("register_admin_urls")
def register_chatbot_urls():
    return [
        path("asistente/sin-respuesta/", UnansweredQuestionsReportView.as_view(), name="chatbot_unanswered"),
        path(
            "asistente/sin-respuesta/resultados/",
            UnansweredQuestionsReportView.as_view(results_only=True),
            name="chatbot_unanswered_results",
        ),
        path("asistente/sin-respuesta/alias/", UnansweredAliasView.as_view(), name="chatbot_unanswered_alias"),
        path("asistente/sin-respuesta/atendida/", UnansweredHandledView.as_view(), name="chatbot_unanswered_handled"),
    ]


class ChatLogMenuItem(MenuItem):
    def is_shown(self, request):
        return rules.can_view_chat_log(request.user)


@hooks.register("register_reports_menu_item")
def register_chatbot_report_menu_item():
    return ChatLogMenuItem(_("Preguntas sin respuesta"), reverse("chatbot_unanswered"), icon_name="help", order=700)


@hooks.register("construct_homepage_summary_items")
def add_unanswered_summary_item(request, items):
    """Dashboard: the groups of questions the bot could not answer in the last 7 days, not yet handled."""
    from django.utils.translation import ngettext

    from ayni.dashboard import CountSummaryItem
    from chatbot import selectors

    items.append(
        CountSummaryItem(
            request,
            count=lambda: len(selectors.unanswered_question_groups(days=7)),
            label=lambda n: (
                ngettext(
                    "%(count)d pregunta sin respuesta esta semana", "%(count)d preguntas sin respuesta esta semana", n
                )
                % {"count": n}
            ),
            url=reverse("chatbot_unanswered") + "?dias=7",
            icon="help",
            order=170,
            shown=rules.can_view_chat_log(request.user),
        )
    )
