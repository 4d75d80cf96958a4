"""manage.py for an installed Ayni: ``ayni <command>`` or ``python -m ayni <command>``.

manage.py sits at the top of the source tree and is not part of the package;
this is the same entry point for a wheel installed with pip (console script
``ayni`` in pyproject.toml).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings.dev")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if argv and os.path.basename(argv[0]) == "__main__.py":
        argv[0] = "python -m ayni"  # the name the help text shows
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
