"""The documentation site: built strictly, every tutorial executed, every public name documented, offline.

`mkdocs build --strict` runs once per session (it executes every tutorial notebook, see
docs_hooks/tutorials.py); the tests below read what it built, and open it in headless Chromium.
"""

import importlib
import json
import os
import re
import subprocess
import sys
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from docs_hooks.doctests import DoctestPreprocessor
from docs_hooks.tutorials import NotebookFailed, execute, tutorial_sources

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED_PACKAGES = ["autodiff", "autodiff.testing", "nn", "rl"]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
BROWSER_INTERNAL = ("chrome:", "chrome-untrusted:")
"""Chromium's own pages (its new-tab page before the first load), served from inside the browser."""


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site as `mkdocs build --strict` makes it (tutorials executed), in a temporary folder."""
    site_dir = tmp_path_factory.mktemp("docs") / "site"
    started = time.perf_counter()
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=600,
    )
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stdout}\n{built.stderr}"
    print(f"mkdocs build --strict with every tutorial executed: {time.perf_counter() - started:.1f} s")
    return site_dir


def inventory_names(site_dir):
    """The objects the API reference shows, by the anchor of each entry of the inventory mkdocstrings writes.

    An entry is ``name domain:role priority page#anchor display``; the inventory also lists each
    object under the module it is defined in, pointing to the same anchor. An anchor ``$`` stands
    for the entry's own name, as in Sphinx's inventories.
    """
    header_and_body = (site_dir / "objects.inv").read_bytes().split(b"\n", 4)
    body = zlib.decompress(header_and_body[4]).decode()
    anchors = set()
    for line in body.splitlines():
        name, _, _, location = line.split(" ")[:4]
        anchor = location.partition("#")[2]
        anchors.add(name if anchor == "$" else anchor)
    return anchors


@pytest.mark.parametrize("package", DOCUMENTED_PACKAGES)
def test_every_public_name_is_in_the_api_reference(site, package):
    names = inventory_names(site)
    public = importlib.import_module(package).__all__
    assert [name for name in public if f"{package}.{name}" not in names] == []


def test_the_api_reference_documents_no_private_name(site):
    private = [name for name in inventory_names(site) if re.search(r"\._[a-z]", name)]
    assert private == []


def test_every_tutorial_is_a_page_with_its_executed_notebook(site):
    sources = tutorial_sources(ROOT / "docs")
    assert len(sources) == 5
    for source in sources:
        page = (site / "tutorials" / f"{source.stem}.html").read_text(encoding="utf-8")
        assert f'href="{source.stem}.ipynb"' in page
        notebook = nbformat.reads((site / "tutorials" / f"{source.stem}.ipynb").read_text(encoding="utf-8"), 4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code and all(cell.execution_count for cell in code), f"{source.name} has cells that did not run"
        assert not [out for cell in code for out in cell.outputs if out.output_type == "error"]
        assert any(cell.outputs for cell in code), f"{source.name} shows no output"


def test_docstring_examples_show_as_console_sessions(site):
    # Markdown would read a bare `>>>` as three nested quotes
    pages = sorted((site / "reference").glob("*.html"))
    assert len(pages) == len(DOCUMENTED_PACKAGES)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<blockquote>" not in html, page.name
        assert '<span class="gp">&gt;&gt;&gt; </span>' in html, page.name


def test_only_bare_doctests_are_fenced():
    lines = ["Text.", "", ">>> 1 + 1", "2", "", "```python", ">>> kept as written", "```",
             "    >>> x = 1", "    >>> x", "    1"]
    assert DoctestPreprocessor().run(lines) == [
        "Text.", "", "```pycon", ">>> 1 + 1", "2", "```", "", "```python", ">>> kept as written", "```",
        "    ```pycon", ">>> x = 1", ">>> x", "1", "    ```"]


def test_every_page_the_readme_links_to_is_a_page_of_the_site(site):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = set(re.findall(r"\]\(docs/([^)#\s]+)\.md[)#]", readme))
    assert len(pages) >= 15
    assert [page for page in sorted(pages) if not (site / f"{page}.html").is_file()] == []


class ResourceLinks(HTMLParser):
    """Every address a page loads by itself: scripts, styles, images, frames, media (not links followed)."""

    LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src", "video": "src",
               "embed": "src", "object": "data", "link": "href"}

    def __init__(self):
        super().__init__()
        self.addresses = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") not in {"stylesheet", "preload", "modulepreload", "icon"}:
            return
        if (address := attributes.get(self.LOADING.get(tag, ""))) is not None:
            self.addresses.append(address)
        if "style" in attributes:
            self.addresses += re.findall(r"url\(['\"]?([^'\")]+)", attributes["style"])


def loads_from_network(address):
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:)?//", address, flags=re.IGNORECASE)) and not address.startswith(
        LOCAL_SCHEMES)


def test_no_page_or_stylesheet_loads_anything_from_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 15
    for page in pages:
        parser = ResourceLinks()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.addresses, page
        assert [address for address in parser.addresses if loads_from_network(address)] == [], page
    for stylesheet in site.rglob("*.css"):
        text = stylesheet.read_text(encoding="utf-8")
        assert [u for u in re.findall(r"url\(['\"]?([^'\")]+)", text) if loads_from_network(u)] == [], stylesheet
        assert "@import" not in text, stylesheet


def test_a_remote_script_would_be_caught():
    parser = ResourceLinks()
    parser.feed('<script src="https://unpkg.com/x"></script><link rel="stylesheet" href="//fonts.example/a.css">'
                '<a href="https://example.org">a link is not a load</a><img src="pic.svg">')
    assert [address for address in parser.addresses if loads_from_network(address)] == [
        "https://unpkg.com/x", "//fonts.example/a.css"]


def write_tutorial(folder, name, code):
    (folder / "tutorials").mkdir(exist_ok=True)
    path = folder / "tutorials" / f"{name}.py"
    path.write_text(f"# %% [markdown]\n# # {name}\n\n# %%\n{code}\n", encoding="utf-8")
    return path


def test_a_failing_tutorial_names_itself_and_its_error(tmp_path):
    path = write_tutorial(tmp_path, "1_broken", "1 / 0")
    with pytest.raises(NotebookFailed, match=r"(?s)1_broken.py failed.*ZeroDivisionError"):
        execute([path])


def test_a_warning_in_a_tutorial_fails_it(tmp_path):
    path = write_tutorial(tmp_path, "1_warns", 'import warnings\nwarnings.warn("deprecated spelling")')
    with pytest.raises(NotebookFailed, match=r"(?s)1_warns.py, cell 2 wrote to stderr.*deprecated spelling"):
        execute([path])


@pytest.fixture
def browser(tmp_path):
    """Debian's headless Chromium driven by Selenium, recording every request it makes."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
    try:
        yield driver
    finally:
        driver.quit()


def requested_addresses(driver):
    events = (json.loads(entry["message"])["message"] for entry in driver.get_log("performance"))
    return [event["params"]["request"]["url"] for event in events if event["method"] == "Network.requestWillBeSent"]


def test_the_site_opened_from_disk_works_with_no_request_leaving_the_machine(site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    addresses = []
    for page in ["index.html", "tutorials/1_backprop_three_ways.html"]:
        browser.get((site / page).as_uri())
        WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
        images = browser.find_elements(By.CSS_SELECTOR, "article img")
        assert images and all(browser.execute_script("return arguments[0].naturalWidth", image) > 0
                              for image in images), page
        addresses += requested_addresses(browser)
    assert any(address.endswith("1_backprop_three_ways.html") for address in addresses)
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text.startswith("Backpropagation")
    # the explorer of autodiff.explore runs inside the tutorial's page: its last step is the end of backward()
    explorer = browser.find_element(By.CSS_SELECTOR, "article .autodiff-explorer")
    counter = explorer.find_element(By.CSS_SELECTOR, ".ax-counter")
    WebDriverWait(browser, 20).until(lambda _: counter.text.startswith("step 0 /"))
    last = explorer.find_element(By.CSS_SELECTOR, '[data-action="last"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", last)  # not under the fixed header
    last.click()
    steps = counter.text.split(":")[0].split("/")[1].strip()
    assert counter.text.startswith(f"step {steps} / {steps}: backward")
    assert "grad" in explorer.find_element(By.CSS_SELECTOR, ".ax-step pre").text
    # search runs in a worker, which file:// pages get through the site's own iframe-worker shim
    browser.execute_script("document.querySelector('.md-search__input').focus()")
    browser.find_element(By.CSS_SELECTOR, ".md-search__input").send_keys("hessian")
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
    addresses += requested_addresses(browser)
    assert [address for address in addresses if not address.startswith(LOCAL_SCHEMES + BROWSER_INTERNAL)] == []
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
