from django.urls import path

from participation.views import complaints, landing, proposals

app_name = "participation"

urlpatterns = [
    path("", landing.participation_home, name="home"),
    path("propuestas/", proposals.proposal_index, name="proposal_index"),
    path("propuestas/nueva/", proposals.proposal_create, name="proposal_create"),
    path("propuestas/<int:pk>/", proposals.proposal_detail, name="proposal_detail"),
    path("propuestas/<int:pk>/editar/", proposals.proposal_edit, name="proposal_edit"),
    path("propuestas/<int:pk>/apoyo/", proposals.proposal_support, name="proposal_support"),
    path("propuestas/<int:pk>/seguir/", proposals.proposal_follow, name="proposal_follow"),
    path("propuestas/<int:pk>/comentar/", proposals.comment_create, name="comment_create"),
    path("propuestas/<int:pk>/reportar/", proposals.report, name="proposal_report"),
    path("propuestas/<int:pk>/comentarios/<int:comment_pk>/reportar/", proposals.report, name="comment_report"),
    path("reclamos/", complaints.complaint_form, name="complaint_form"),
    path("seguimiento/", complaints.tracking, name="tracking"),
    path("notificaciones/", complaints.notification_list, name="notifications"),
    path("notificaciones/leidas/", complaints.notification_read_all, name="notifications_read"),
]
