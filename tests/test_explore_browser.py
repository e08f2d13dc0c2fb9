"""The explorer page in a real headless Chromium (Debian's chromium and chromium-driver), driven by Selenium.

Every forward and backward step is taken with the keyboard; each displayed grad is read from the
DOM and compared with backward()'s. On a machine without the browser these tests skip saying what
to install; in CI (CI=true) a missing browser fails them. A screenshot of each page's last step is
saved in test-artifacts/ (ignored by git).
"""

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import ON_CI
from test_explore import HOSTILE, mlp_loss, neuron, shared

from autodiff import Value, explore, topological_order

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
INSTALL = "apt-get install chromium chromium-driver (Debian/Ubuntu), and pip install -e '.[dev]' for selenium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,900")


def unavailable(reason):
    if ON_CI:
        pytest.fail(f"the browser tests must run in CI: {reason}; .ci/run installs the browser")
    pytest.skip(f"{reason}: {INSTALL}")


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed")
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        unavailable("chromium or chromedriver is not on PATH")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="explorer-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Page:
    """One saved explorer page, opened in the browser; what it shows read from the DOM."""

    def __init__(self, driver, exploration, path):
        from selenium.webdriver.common.by import By

        self.driver, self.by = driver, By
        if isinstance(exploration, str):  # a page of the test's own
            path.write_text(exploration, encoding="utf-8")
        else:
            self.data = exploration.data
            exploration.save(path)
        self.url = path.resolve().as_uri()
        driver.get_log("performance")  # drop what came before this page
        driver.get_log("browser")
        driver.get(self.url)
        self.box = driver.find_element(By.CSS_SELECTOR, "body > *")
        if not isinstance(exploration, str):  # the script inflates the picture, then marks the box ready
            from selenium.webdriver.support.ui import WebDriverWait

            WebDriverWait(driver, 10).until(lambda _: self.box.get_attribute("data-ready") is not None)

    def find(self, selector):
        return self.driver.find_element(self.by.CSS_SELECTOR, selector)

    def shown_grads(self):
        """The grad line of every value drawn on its own, by node index (one script call)."""
        ids = {i: node["svg"][0] for i, node in enumerate(self.data["nodes"]) if node["id"].startswith("v")}
        texts = self.driver.execute_script(
            "const svg = arguments[0].querySelector('svg'); const out = {};"
            "for (const [i, id] of Object.entries(arguments[1])) {"
            "  const texts = svg.querySelectorAll('#' + id + ' text'); out[i] = texts[texts.length - 1].textContent; }"
            "return out;", self.box, ids)
        return {int(i): text for i, text in texts.items()}

    def hidden(self):
        return set(self.driver.execute_script(
            "return [...arguments[0].querySelectorAll('.node.ax-hidden')].map((g) => g.id);", self.box))

    def in_view(self, element_id):
        """Whether the SVG element is inside the picture's frame (scrolled to, if the picture is bigger)."""
        return self.driver.execute_script(
            "const frame = arguments[0].querySelector('.ax-graph').getBoundingClientRect();"
            "const shown = arguments[0].querySelector('svg #' + arguments[1]).getBoundingClientRect();"
            "return shown.left >= frame.left && shown.right <= frame.right"
            "  && shown.top >= frame.top && shown.bottom <= frame.bottom;", self.box, element_id)

    def requests(self):
        """The URL of every request made for the page's document (Chromium's own new-tab page has others)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent" and message["params"]["documentURL"] == self.url:
                urls.append(message["params"]["request"]["url"])
        return urls

    def errors(self):
        return [entry for entry in self.driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


def step_through(page, root):
    """Every step with the → key: values appear in their forward step, grads follow the recorded sums."""
    from selenium.webdriver.common.keys import Keys

    order = topological_order(root)
    root.zero_grad()
    root.backward()
    data = page.data
    latest = {i: data["zero"] for i in range(len(order))}
    assert page.find(".ax-counter").text == f"step 0 / {len(data['steps']) - 1}: inputs"
    for number, step in enumerate(data["steps"]):
        if number:
            page.box.send_keys(Keys.ARROW_RIGHT)
        assert page.find(".ax-counter").text.startswith(f"step {number} /")
        assert page.find(".ax-step h3").text == step["title"]
        if step["phase"] != "inputs":
            assert page.in_view(data["nodes"][step["focus"][0]]["svg"][0]), number
        hidden = page.hidden()
        for node in data["nodes"]:
            assert (node["svg"][0] in hidden) == (node["shown"] > number), (number, node["name"])
        if "seed" in step:
            latest[len(order) - 1] = step["seed"]
        for contribution in step.get("contributions", []):
            latest[data["edges"][contribution[0]][0]] = contribution[4]
        grads = page.shown_grads()
        assert grads == {i: f"grad {latest[i]}" for i in grads}, number
    # the last step shows backward()'s grads, as printed with the page's digits
    assert page.shown_grads() == {i: f"grad {order[i].grad:.{data['digits']}g}" for i in page.shown_grads()}
    page.box.send_keys(Keys.ARROW_RIGHT)  # no step after the last
    assert page.find(".ax-counter").text.startswith(f"step {len(data['steps']) - 1} /")


def check_clean(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.box.screenshot(str(ARTIFACTS / f"explorer-{name}.png"))
    assert page.errors() == []
    assert set(page.requests()) == {page.url}  # the page itself, nothing else


def click(page, element_id):
    from selenium.webdriver.common.action_chains import ActionChains

    target = page.find(f".ax-graph svg #{element_id} text")
    ActionChains(page.driver).move_to_element(target).click().perform()


def test_a_neuron_step_by_step(browser, tmp_path):
    y = neuron()
    page = Page(browser, explore(y), tmp_path / "neuron.html")
    step_through(page, y)
    assert page.find(".ax-step pre").text.splitlines() == [
        "(x × w).grad = 0.5",
        "  ∂out/∂x = w = -3: x.grad += -3 × 0.5 = -1.5",
        "  ∂out/∂w = x = 2: w.grad += 2 × 0.5 = 1",
    ]
    x = next(node for node in page.data["nodes"] if node["name"] == "x")
    click(page, x["svg"][0])
    panel = page.find(".ax-inspect pre").text.splitlines()
    assert panel[:8] == ["x", "kind: parameter", "data: 2", "grad at this step: -1.5", "grad after backward: -1.5",
                         "parents: none", "children: x × w", "contributions to its grad so far:"]
    # the path from x to the output: x, x·w, x·w + b, tanh
    on_path = page.driver.execute_script(
        "return [...arguments[0].querySelectorAll('.node.ax-path')].map((g) => g.id);", page.box)
    expected = {element for i in (2, 3, 4, 5) for element in page.data["nodes"][i]["svg"] if element.startswith("node")}
    assert page.data["nodes"][2]["name"] == "x" and set(on_path) == expected
    # hovering x's edge into × shows its local derivative
    from selenium.webdriver.common.action_chains import ActionChains

    edge = next(e for e in page.data["edges"] if e[0] == 2)
    ActionChains(page.driver).move_to_element(page.find(f".ax-graph svg #{edge[4]} polygon")).perform()
    assert page.find(".ax-status").text == "x → x × w (input 1): ∂out/∂x = w = -3"
    check_clean(page, "neuron")


def test_a_shared_value_shows_each_contribution_and_the_running_sum(browser, tmp_path):
    y = shared()
    page = Page(browser, explore(y), tmp_path / "shared.html")
    step_through(page, y)
    assert page.find(".ax-step pre").text.splitlines() == [
        "(x × x).grad = 1",
        "  ∂out/∂x (input 1) = x = 3: x.grad += 3 × 1 = 3; running sum 1 + 3 = 4 (2 of 3)",
        "  ∂out/∂x (input 2) = x = 3: x.grad += 3 × 1 = 3; running sum 4 + 3 = 7 (3 of 3)",
    ]
    click(page, page.data["nodes"][0]["svg"][0])
    assert page.find(".ax-inspect pre").text.splitlines()[-4:] == [
        "contributions to its grad so far:",
        "  step 4, from (x × x) + x: 0 + 1 = 1",
        "  step 5, from x × x: 1 + 3 = 4",
        "  step 5, from x × x: 4 + 3 = 7",
    ]
    check_clean(page, "shared")


def test_a_local_derivative_names_the_inputs_and_the_constant(browser, tmp_path):
    x, b = Value(2.0, name="x"), Value(1.0, name="b")
    y = (x ** 3.0) * 0.5 + b
    page = Page(browser, explore(y), tmp_path / "constants.html")
    step_through(page, y)
    from selenium.webdriver.common.keys import Keys

    # the op table writes x ** c's slope as c · x ** (c − 1); the page fills in the input and the constant
    assert page.find(".ax-step pre").text.splitlines() == [
        "(x ** 3).grad = 0.5",
        "  ∂out/∂x = 3 · x ** (3 − 1) = 12: x.grad += 12 × 0.5 = 6",
    ]
    page.box.send_keys(Keys.ARROW_LEFT)
    assert page.find(".ax-step pre").text.splitlines() == [
        "((x ** 3) × 0.5).grad = 1",
        "  ∂out/∂(x ** 3) = 0.5: (x ** 3).grad += 0.5 × 1 = 0.5",
    ]
    check_clean(page, "constants")


def test_an_mlp_loss_with_collapsed_neurons(browser, tmp_path):
    loss = mlp_loss()
    exploration = explore(loss, collapse="neuron", color_by_grad=True)
    page = Page(browser, exploration, tmp_path / "mlp.html")
    # wider than the window: stepping through checks that the frame scrolls to each step's values
    assert page.driver.execute_script(
        "const frame = arguments[0].querySelector('.ax-graph');"
        "return frame.scrollWidth > frame.clientWidth;", page.box)
    step_through(page, loss)
    # a module box: clicking it inspects its output value, inside the module
    box_id, label = next(iter(exploration.data["boxes"].items()))
    box = next(node for node in exploration.data["nodes"] if node["id"] == box_id)
    click(page, box["svg"][0])
    assert f", in {label}" in page.find(".ax-inspect pre").text.splitlines()[1]
    # coloured by |grad|: the output's box has its shade, not its plain fill
    fill = page.driver.execute_script(
        "return arguments[0].querySelector('svg #' + arguments[1] + ' polygon').getAttribute('fill');",
        page.box, exploration.data["nodes"][-1]["svg"][0])
    assert fill == exploration.data["fills"][exploration.data["nodes"][-1]["level"] - 1]
    check_clean(page, "mlp")


def test_a_big_picture_opens_on_the_input_the_forward_pass_uses_first(browser, tmp_path):
    exploration = explore(mlp_loss())
    page = Page(browser, exploration, tmp_path / "big.html")
    # the inputs in the order the forward steps use them: the first forward step's first input comes first
    steps, nodes = exploration.data["steps"], exploration.data["nodes"]
    first = nodes[steps[0]["focus"][0]]
    assert nodes.index(first) == nodes[steps[1]["focus"][0]]["parents"][0]
    in_view = page.driver.execute_script(
        "const frame = arguments[0].querySelector('.ax-graph');"
        "const box = frame.getBoundingClientRect(), shown = frame.querySelector('#' + arguments[1]);"
        "const input = shown.getBoundingClientRect();"
        "return [frame.scrollHeight > frame.clientHeight, box.top <= input.top && input.bottom <= box.bottom,"
        "        box.left <= input.left && input.right <= box.right];", page.box, first["svg"][0])
    assert in_view == [True, True, True]


def test_a_hostile_name_is_text_and_runs_nothing(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException

    x = Value(2.0, name=HOSTILE)
    page = Page(browser, explore(x * 3), tmp_path / "hostile.html")
    with pytest.raises(NoAlertPresentException):
        page.driver.switch_to.alert.text  # noqa: B018
    assert page.find(".ax-step pre").text == f"{HOSTILE} = 2"
    assert page.driver.execute_script("return document.querySelectorAll('script').length") == 2
    check_clean(page, "hostile")


def test_the_request_log_sees_what_a_page_loads(browser, tmp_path):
    # the check that the explorer loads nothing is only as good as this log
    (tmp_path / "picture.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    page = Page(browser, '<!DOCTYPE html><body><img src="picture.svg"></body>', tmp_path / "loads.html")
    page.find("img")
    assert set(page.requests()) == {page.url, (tmp_path / "picture.svg").as_uri()}
