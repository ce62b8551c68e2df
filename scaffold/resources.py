"""Where the Jinja templates are: the project's ``templates/``, or their installed copy.

The design keeps ``templates/`` at the top of the project, beside the package; an editable
install reads them there, a wheel installs them under ``<prefix>/share/tfscaffold/templates``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def templates_dir() -> Path:
    source = Path(__file__).resolve().parents[1] / "templates"
    if source.is_dir():
        return source
    return Path(sys.prefix) / "share" / "tfscaffold" / "templates"


def copyright_year() -> int:
    """The year for a generated file's licence header.

    Honours ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) so that golden files and
    release builds do not change on the first of January.
    """
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC).year
    return datetime.date.today().year
