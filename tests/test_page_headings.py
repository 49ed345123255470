"""Every page has exactly one level-one heading, its name to a screen reader (WCAG 2.4.6,
1.3.1): each page template, with the layouts it extends, writes one <h1>, and no partial adds
another. (The browser journeys check the pages they render too: tests/browser/conftest.py.)"""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NOT_PAGES = ("emails", "drf_spectacular")  # e-mails, and Redoc's own page
EXTENDS = re.compile(r"""{%\s*extends\s+["']([^"']+)["']""")
COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.DOTALL)
H1 = re.compile(r"<h1[\s>]", re.IGNORECASE)


def _source(name: str) -> str:
    return COMMENT.sub("", (TEMPLATES / name).read_text())


def _templates() -> list[str]:
    return sorted(
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).parts[0] not in NOT_PAGES
    )


def _h1_count(name: str) -> int:
    """<h1>s in the template and the layouts it extends."""
    source = _source(name)
    parent = EXTENDS.search(source)
    return len(H1.findall(source)) + (_h1_count(parent.group(1)) if parent else 0)


def _layouts() -> set[str]:
    return {match.group(1) for name in _templates() for match in EXTENDS.finditer(_source(name))}


def test_every_page_template_writes_exactly_one_h1():
    layouts = _layouts()
    pages = [name for name in _templates() if not Path(name).name.startswith("_") and name not in layouts]

    wrong = {name: count for name in pages if (count := _h1_count(name)) != 1}

    assert len(pages) > 50
    assert not wrong, f"page templates without exactly one <h1>: {wrong}"


def test_no_partial_adds_an_h1_to_the_page_that_includes_it():
    layouts = _layouts()
    partials = [name for name in _templates() if Path(name).name.startswith("_") and name not in layouts]

    assert not [name for name in partials if H1.search(_source(name))]
