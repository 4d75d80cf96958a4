from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.formats import date_format

from ayni.schedule import job_statuses, polls


def _when(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "nunca"


def _every(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


class Command(BaseCommand):
    help = (
        "Lista las tareas periódicas que ejecuta el procesador de tareas (manage.py worker): "
        "cada cuánto, la última y la próxima vez."
    )

    def handle(self, *args, **options):
        statuses = job_statuses()
        width = max((len(status.name) for status in statuses), default=10)
        self.stdout.write(f"{'tarea':<{width}}  {'cada':>8}  {'última vez':<20}  próxima vez")
        for status in statuses:
            self.stdout.write(
                f"{status.name:<{width}}  {_every(status.every.total_seconds()):>8}  "
                f"{_when(status.last_enqueued_at):<20}  {_when(status.next_due_at)}"
            )
        for poll in polls():
            self.stdout.write(f"{poll.name:<{width}}  {_every(poll.every):>8}  (sondeo del procesador, continuo)")
