"""Static files storage for production."""

from collections.abc import Callable
from re import Match
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

# Third-party bundles, served as they are: their code mentions `import` and
# `url(` in strings, which are not references to rewrite.
VERBATIM_PREFIX = "vendor/"


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed files; `import` statements in our JS modules name hashed files too."""

    support_js_module_import_aggregation = True

    def url_converter(
        self, name: str, hashed_files: dict[str, Any], template: str | None = None
    ) -> Callable[[Match[str]], str]:
        if name.startswith(VERBATIM_PREFIX):
            return lambda match: match["matched"]
        converter: Callable[[Match[str]], str] = super().url_converter(name, hashed_files, template)
        return converter
