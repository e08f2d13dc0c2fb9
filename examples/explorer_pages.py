"""Explorer pages (`autodiff.explore`) of the documentation's neuron and of an MLP loss, with their sizes.

    python3 examples/explorer_pages.py              # into runs/pages
    python3 examples/explorer_pages.py --out /tmp   # anywhere else
    python3 examples/explorer_pages.py --screenshot docs/explorer.png   # the guide's picture of the neuron's page

The MLP is nn.MLP(3, [4, 4, 1]) with its mean squared error on 4 samples: 155 values, the size of
graph the page is meant to stay under 150 KB for. Open a page in any browser, offline.
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import autodiff
import nn
from autodiff import Value


def neuron() -> Value:
    """tanh(x·w + b), the documentation's neuron."""
    x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
    return (x * w + b).tanh()


def mlp_loss() -> Value:
    """The mean squared error of an nn.MLP 3 -> 4 -> 4 -> 1 on 4 samples: 155 values."""
    model = nn.MLP(3, [4, 4, 1], activation="tanh", rng=0)
    samples = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    return nn.mse_loss([model(x)[0] for x in samples], [1.0, -1.0, -1.0, 1.0])


def screenshot(page: autodiff.Exploration, path: Path) -> None:
    """`page` in headless Chromium at its last step, x selected and its edge into × hovered, saved as PNG.

    Needs Selenium (the `dev` extra) and Debian's chromium and chromium-driver.
    """
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        sys.exit("--screenshot needs Selenium, which comes with the 'dev' extra: pip install -e '.[dev]'")
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        sys.exit("--screenshot needs Debian's chromium and chromium-driver: scripts/install-system-packages")
    options = webdriver.ChromeOptions()
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,800", "--hide-scrollbars"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    try:
        with tempfile.TemporaryDirectory() as folder:
            driver.get(page.save(Path(folder) / "neuron.html").resolve().as_uri())
            box = driver.find_element(By.CSS_SELECTOR, "body > *")
            WebDriverWait(driver, 20).until(lambda _: box.get_attribute("data-ready") is not None)
            driver.find_element(By.CSS_SELECTOR, '[data-action="last"]').click()
            x = next(node for node in page.data["nodes"] if node["name"] == "x")
            ActionChains(driver).move_to_element(driver.find_element(By.ID, x["svg"][0])).click().perform()
            into_times = next(edge for edge in page.data["edges"] if edge[0] == page.data["nodes"].index(x))
            arrowhead = driver.find_element(By.CSS_SELECTOR, f"#{into_times[4]} polygon")
            ActionChains(driver).move_to_element(arrowhead).perform()
            path.write_bytes(box.screenshot_as_png)
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/pages"),
                        help="folder for the pages (default: %(default)s)")
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="save a picture of the neuron's page at its last step instead (needs Chromium)")
    arguments = parser.parse_args()
    if arguments.screenshot:
        screenshot(autodiff.explore(neuron()), arguments.screenshot)
        print(f"wrote {arguments.screenshot}")
        return
    out = arguments.out
    out.mkdir(parents=True, exist_ok=True)
    pages = {
        "neuron.html": autodiff.explore(neuron()),
        "mlp_by_neuron.html": autodiff.explore(mlp_loss(), collapse="neuron"),
        "mlp.html": autodiff.explore(mlp_loss(), max_nodes=500),
    }
    for name, page in pages.items():
        print(f"wrote {page.save(out / name)}: {len(page.html.encode()) / 1000:.0f} KB, {page!r}")


if __name__ == "__main__":
    main()
