import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from ayni.env import VAR_DIR


class Command(BaseCommand):
    help = "Crea la cuenta de administración si no existe y muestra su contraseña una sola vez."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        password_file = VAR_DIR / "admin_password.txt"
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Cuenta de administración: {username} (contraseña en {password_file})")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        password_file.write_text(f"{username}\n{password}\n")
        password_file.chmod(0o600)
        self.stdout.write(self.style.SUCCESS("Cuenta de administración creada:"))
        self.stdout.write(f"  usuario:    {username}")
        self.stdout.write(f"  contraseña: {password}")
        self.stdout.write(f"  (guardada en {password_file}; entra en {settings.WAGTAILADMIN_BASE_URL}/admin/)")
