import contextlib
import itertools
import os
import signal
import subprocess
import time
import uuid

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test import Client, override_settings
from django.utils import translation

from chatbot.evaluation import Report, judge, load_examples, load_language
from chatbot.selectors import guide_catalogue


class Command(BaseCommand):
    help = (
        "Evalúa el asistente con un archivo YAML de preguntas (formato de chat_examples.yaml): "
        "envía cada una por /api/chat/ e informa la exactitud total, por tipo de dato y por motor."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--url", default="", help="Portal ya en marcha (p. ej. http://127.0.0.1:8000); si no, en proceso."
        )
        parser.add_argument(
            "--engine",
            choices=["auto", "fallback", "rasa"],
            default="auto",
            help="fallback: sin Rasa; rasa: genera los datos de entrenamiento de las guías publicadas, entrena "
            "(o reutiliza) el modelo NLU, arranca Rasa en loopback y evalúa con él.",
        )
        parser.add_argument("--show-errors", action="store_true", help="Lista las preguntas falladas.")

    def handle(self, *args, file, url, engine, show_errors, **options):
        if engine == "rasa":
            with self._rasa() as rasa_url:
                overrides = {"CHATBOT_RASA_ENABLED": True, "RASA_URL": rasa_url, "RASA_TIMEOUT": 60.0}
                return self._evaluate(file, url, overrides, show_errors)
        overrides = {"CHATBOT_RASA_ENABLED": False} if engine == "fallback" else {}
        return self._evaluate(file, url, overrides, show_errors)

    @contextlib.contextmanager
    def _rasa(self):
        """The Rasa NLU server trained on this database's guides, on a free loopback port."""
        from chatbot import rasa_client, runtime

        call_command("chatbot_export", stdout=self.stdout)
        started = time.monotonic()
        cached = runtime.model_path().exists()
        model = runtime.ensure_model()
        took = time.monotonic() - started
        guides = len(guide_catalogue())
        if cached:
            self.stdout.write(f"Modelo NLU reutilizado ({guides} guías): {model.name}")
        else:
            self.stdout.write(f"Entrenamiento del modelo NLU ({guides} guías): {took:.0f} s")
        port = runtime.free_port()
        command, env, cwd = runtime.rasa_command(model=model, port=port)
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            url = f"http://127.0.0.1:{port}"
            runtime.wait_until_model_loaded(url, timeout=600, process=process)
            rasa_client.reset()
            yield url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            rasa_client.reset()

    def _evaluate(self, file, url, overrides, show_errors):
        try:
            examples = load_examples(file)
        except OSError as exc:
            raise CommandError(f"No se puede leer {file}: {exc}") from exc
        if not examples:
            raise CommandError("El archivo no tiene ejemplos.")
        # A set in another language (``language: en``) is asked as from a page in that language,
        # and judged against the facts of the guides' translations.
        language = load_language(file)
        report = Report()
        with override_settings(**overrides):
            send = self._sender(url)
            for example in examples:
                body = {"sender": f"eval-{uuid.uuid4().hex}", "text": example["text"]}
                if language:
                    body["lang"] = language
                answer = send(body)
                with translation.override(language or settings.LANGUAGE_CODE):  # the request set its own
                    report.outcomes.append(judge(example, answer))
        self._print(report, show_errors)
        return None

    def _sender(self, url: str):
        if url:
            client = httpx.Client(base_url=url.rstrip("/"), timeout=30)
            return lambda body: client.post("/api/chat/", json=body).raise_for_status().json()
        host = next((h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")), "127.0.0.1")
        client = Client(HTTP_HOST=host)
        residents = itertools.count(1)

        def send(body):
            # In process, each question comes from its own resident (client address), as in real
            # traffic: one address sending the whole set would meet the per-client chat limit.
            n = next(residents)
            address = f"10.{n // 65025 % 250}.{n // 255 % 255}.{n % 255 + 1}"
            response = client.post("/api/chat/", body, content_type="application/json", REMOTE_ADDR=address)
            if response.status_code != 200:
                raise CommandError(f"/api/chat/ respondió {response.status_code}: {response.content[:200]!r}")
            return response.json()

        return send

    def _print(self, report: Report, show_errors: bool) -> None:
        n = len(report.outcomes)
        figures = report.summary()
        self.stdout.write(f"Exactitud total: {report.accuracy():.1%} ({sum(o.ok for o in report.outcomes)}/{n})")
        self.stdout.write(
            f"Correcta o aclarada con la guía correcta entre las opciones: {figures['right_or_clarified']:.1%}"
        )
        self.stdout.write(
            f"Respondidas con una pregunta de aclaración: {figures['clarified']:.1%} "
            f"(con la guía correcta entre las opciones: {figures['clarified_right']:.1%})"
        )
        self.stdout.write(
            f"Fuera de alcance respondidas con una guía: {figures['out_of_scope_answered']} "
            f"de {figures['out_of_scope']}"
        )
        self.stdout.write("Por dato pedido:")
        for key, (acc, count) in report.by("asks").items():
            self.stdout.write(f"  {key:<13} {acc:6.1%}  (n={count})")
        self.stdout.write("Por motor:")
        for key, (acc, count) in report.by("engine").items():
            self.stdout.write(f"  {key:<13} {acc:6.1%}  (n={count})")
        if show_errors:
            for outcome in report.outcomes:
                if not outcome.ok:
                    self.stdout.write(f"  ✗ {outcome.text!r}: {outcome.reason} [{outcome.intent}, {outcome.engine}]")
