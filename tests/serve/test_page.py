"""The playground end to end in headless Chromium (Debian's, driven by Playwright's Python
package; browsers are never downloaded): type a spec and see its table; introduce an error and
see it underlined and explained; hover a layer for its shapes and counts; open a famous network
in one click; download its PyTorch code.

Screenshots go to the test's tmp folder, or to $ARCHLANG_SCREENSHOTS (docs/img/ was made so).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright (make install)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("needs Debian's chromium (make install)", allow_module_level=True)

from .helpers import running  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SPEC = """\
model mlp(x: 784) = Chain(
    Dense(784, 200, relu),
    Dense(200, 10),
)
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def page(tmp_path):
    with running() as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900},
                                    accept_downloads=True)
            page.set_default_timeout(60_000)
            page.goto(server.url)
            yield page
        finally:
            browser.close()


def shots(tmp_path) -> Path:
    out = Path(os.environ.get("ARCHLANG_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    return out


def table_with(page, text: str):
    page.wait_for_function("t => [...document.querySelectorAll('.model pre.table')]"
                           ".some(e => e.textContent.includes(t))", arg=text)


def test_type_a_spec_see_the_table_then_an_error_underlined(page, tmp_path):
    out = shots(tmp_path)
    table_with(page, "5,386")                      # the book's model2 opens first
    editor = page.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(SPEC)
    table_with(page, "159,010")                    # 784·200 + 200 + 200·10 + 10
    assert page.locator(".cm-lintRange-error").count() == 0
    assert "ok" in page.inner_text("#status")
    page.screenshot(path=str(out / "playground.png"))

    # Hover on the first layer: its shapes and counts, as the language server gives them.
    page.locator(".cm-line", has_text="Dense(784, 200, relu)").get_by_text("784").first.hover()
    tip = page.locator(".layer-hover")
    tip.wait_for()
    assert "layer 1 of mlp: 784 → 200" in tip.inner_text()
    assert "157,000 parameters · 156,800 MACs" in tip.inner_text()
    page.screenshot(path=str(out / "playground-hover.png"))
    page.mouse.move(1000, 800)

    # Put the cursor on the 2 of `Dense(200, 10)` and type a 3 over it.
    page.evaluate("""() => { const v = window.archlangEditor;
        const i = v.state.doc.toString().indexOf('Dense(200, 10)') + 6;
        v.dispatch({selection: {anchor: i, head: i + 1}}); v.focus(); }""")
    page.keyboard.type("3")
    underline = page.locator(".cm-lintRange-error")
    underline.first.wait_for()
    assert underline.first.inner_text() == "300"
    diagnostic = page.inner_text("#diagnostics")
    assert "error[E0301]: Dense expects 300 inputs but receives 200" in diagnostic
    assert "1 error" in page.inner_text("#status")
    page.hover(".cm-lintRange-error")
    page.locator(".cm-tooltip-lint").wait_for()
    page.screenshot(path=str(out / "playground-error.png"))


def test_a_famous_network_in_one_click_and_its_pytorch_code(page, tmp_path):
    out = shots(tmp_path)
    table_with(page, "5,386")
    page.click("button[data-path='famous/resnet18.arch']")
    table_with(page, "11,689,512")
    page.locator(".drawing svg").first.wait_for()
    page.screenshot(path=str(out / "playground-resnet18.png"))
    with page.expect_download() as info:
        page.click("#download")
    path = info.value.path()
    code = Path(path).read_text("utf-8")
    assert info.value.suggested_filename == "resnet18.py"
    assert "class Resnet18(nn.Module):" in code or "class ResNet18(nn.Module):" in code
