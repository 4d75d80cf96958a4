from django.urls import path

from participation.views import accounts, landing, oidc

app_name = "accounts"

urlpatterns = [
    path("", landing.accounts_home, name="home"),
    path("registro/", accounts.register, name="register"),
    path("verificar/<str:token>/", accounts.verify, name="verify"),
    path("verificar-de-nuevo/", accounts.resend_verification, name="resend_verification"),
    path("ingresar/", accounts.LoginView.as_view(), name="login"),
    path("salir/", accounts.LogoutView.as_view(), name="logout"),
    # Sign-in with an OpenID Connect provider (Ciudadanía Digital); 404 while it is off.
    path("identidad/ingresar/", oidc.AuthenticateView.as_view(), name="oidc_login"),
    path("identidad/volver/", oidc.CallbackView.as_view(), name="oidc_callback"),
    path("identidad/vincular/", oidc.link, name="oidc_link"),
    path("perfil/", accounts.profile, name="profile"),
    path("contrasena/olvide/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("contrasena/enviado/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "contrasena/nueva/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path("contrasena/lista/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
