"""Every Python example of the documentation's pages runs as written, page by page, in order.

The tutorials are executed by the site's build (tests/test_docs.py); this covers the other pages.
A block followed by a ``text`` block that starts with an exception (``GradcheckError: ...``) must
raise exactly that; the ``test_...`` functions a page defines are called, as pytest would.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(path for path in DOCS.rglob("*.md") if path.parent.name != "reference")
FENCE = re.compile(r"```(\w*)\n(.*?)```", flags=re.DOTALL)


def examples(page):
    """(code, the error it shows or None) for each python block of `page`."""
    blocks = FENCE.findall(page.read_text(encoding="utf-8"))
    found = []
    for index, (language, code) in enumerate(blocks):
        if language != "python":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
        shown_error = following[1] if following[0] == "text" and re.match(r"\w+Error: ", following[1]) else None
        found.append((code, shown_error))
    return found


def test_the_pages_have_examples():
    assert sum(len(examples(page)) for page in PAGES) >= 15


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_the_examples_of_a_page_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples save files
    namespace = {"__name__": f"docs_{page.stem}"}
    for code, shown_error in examples(page):
        program = compile(code, str(page), "exec")
        if shown_error is None:
            exec(program, namespace)
            continue
        with pytest.raises(Exception) as raised:
            exec(program, namespace)
        assert f"{type(raised.value).__name__}: {raised.value}\n" == shown_error
    for name, function in list(namespace.items()):
        if name.startswith("test_") and callable(function):
            function()
