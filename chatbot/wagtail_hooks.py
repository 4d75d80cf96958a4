from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from chatbot import rules, views


@hooks.register("register_admin_urls")
def register_chatbot_urls():
    return [path("asistente/sin-respuesta/", views.unanswered_questions, name="chatbot_unanswered")]


class ChatLogMenuItem(MenuItem):
    def is_shown(self, request):
        return rules.can_view_chat_log(request.user)


@hooks.register("register_admin_menu_item")
def register_chatbot_menu_item():
    return ChatLogMenuItem(_("Preguntas sin respuesta"), reverse("chatbot_unanswered"), icon_name="help", order=310)
