"""`snarc runs serve` (issue 18): a local page that follows a run while it goes, checked
through its JSON API and in a real headless browser (Chromium from Debian's package,
which `make test` installs under CI): the DOM holds the front and a point per evaluated
architecture, and a screenshot shows the plots."""

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from snarc.evolution.run import Config, Evolution

QUIET = {"progress": False, "log": lambda *_: None}


@pytest.fixture(scope="module")
def run(tmp_path_factory, ndigits_cache):
    out = tmp_path_factory.mktemp("serve") / "run"
    cfg = Config(space="autosnn", fitness=["rdm", "params"], population=4, generations=1,
                 batch=20, limit=60, executor="serial", seed=2)  # fmt: skip
    Evolution(cfg, out, **QUIET).run()
    return out


@pytest.fixture()
def server(run):
    proc = subprocess.Popen(
        [sys.executable, "-m", "snarc", "runs", "serve", str(run), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = proc.stdout.readline()
    assert "following the run at http://127.0.0.1:" in line, proc.stderr.read()
    url = line.split(" at ")[1].split()[0]
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read()


def test_the_api_follows_the_run_while_it_goes(run, server):
    status, body = _get(server + "api/summary")
    first = json.loads(body)
    assert status == 200 and first["space"] == "autosnn" and first["done"] is True
    assert first["front"] and len(first["points"]) == first["evaluated"] >= 4
    assert [g["generation"] for g in first["generations"]] == [0, 1]
    h = first["front"][0]["hash"]
    genome = json.loads(_get(f"{server}api/genome/{h}")[1])
    assert "network" in genome["text"]
    status, svg = _get(f"{server}api/genome/{h}.svg")
    assert svg.lstrip().startswith(b"<?xml") or b"<svg" in svg[:400]
    for bad in ("api/genome/..%2F..%2Fetc%2Fpasswd", "api/genome/nothex", "store.sqlite", "../x"):
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(server + bad)
        assert err.value.code == 404
    # the run goes on (another process extends it); the page's data follows
    Evolution.resume(run, extend=1, **QUIET).run()
    later = json.loads(_get(server + "api/summary")[1])
    assert [g["generation"] for g in later["generations"]] == [0, 1, 2]
    assert later["evaluated"] > first["evaluated"]


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="chromium is not installed (make test installs it under CI)",
)
def test_the_page_in_a_headless_browser(server, tmp_path):
    chrome = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              "--window-size=1240,1000", "--virtual-time-budget=8000"]  # fmt: skip
    dom = subprocess.run(
        [*chrome, "--dump-dom", server], capture_output=True, text=True, timeout=120
    ).stdout
    summary = json.loads(_get(server + "api/summary")[1])
    for row in summary["front"]:
        assert f'data-hash="{row["hash"]}"' in dom  # the front, in the table
    assert dom.count('class="point"') == summary["evaluated"]  # a point per architecture
    assert dom.count('class="hv"') == len(summary["generations"])
    assert "hypervolume per generation" in dom and f"space {summary['space']}" in dom
    shot = tmp_path / "page.png"
    subprocess.run([*chrome, f"--screenshot={shot}", server], capture_output=True, timeout=120)
    deadline = time.monotonic() + 10
    while not shot.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (1240, 1000)
    plot = image.crop((60, 110, 590, 450))  # the scatter plot's area
    colours = {c for _, c in plot.getcolors(1 << 20) if c != (255, 255, 255)}
    assert len(colours) > 20, "the scatter plot drew nothing"
