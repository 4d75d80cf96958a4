"""Build step that pyproject.toml cannot express: the interface translations.

The catalogues live in locale/ at the top of the tree (LOCALE_PATHS, where
`makemessages` writes them). An installed wheel has no such top-level folder,
so the compiled catalogues are copied into the ayni package as ayni/locale/,
where Django finds them as the translations of the ayni app (listed before
every other app that translates, so they take precedence the same way).
Everything else about the project is declared in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).resolve().parent / "locale"


class BuildPyWithLocale(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads locale/ from the source tree
            return
        for catalogue in sorted(LOCALE.glob("*/LC_MESSAGES/*.mo")):
            target = Path(self.build_lib, "ayni", "locale", catalogue.relative_to(LOCALE))
            self.mkpath(str(target.parent))
            self.copy_file(str(catalogue), str(target))


setup(cmdclass={"build_py": BuildPyWithLocale})
