#!/usr/bin/python3
"""The demo's visual report in a real browser (test/report.sh runs it).

Opens the report scripts/report.py wrote in headless Chromium (Debian's
chromium and chromium-driver, driven by python3-selenium), takes a
screenshot of the whole page, and checks, one TAP line each:
every chart of the report is there, loaded (not a broken image), of the
size scripts/report.py draws it (the tree: at least 300 x 200), and drawn
(not blank: pixels of at least three colours, at least 2 % of them not
the background); no other image, no script error, no console error, nothing
fetched over the network; the screenshot is the whole page and not blank.

    /usr/bin/python3 test/report.py REPORT.html SCREENSHOT.png
"""
import base64
import io
import json
import os
import sys

import matplotlib.image as mpimg

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHARTS = ["chart-segment-matrix", "chart-lifecycle", "chart-lorenz", "chart-funnel", "chart-campaigns",
          "chart-quotas", "chart-clv-calibration", "chart-clv-tracking", "chart-p-alive", "chart-tree",
          "chart-gain"]
# scripts/report.py draws every matplotlib chart at this size; the tree
# diagram is as large as Graphviz makes it
WIDTH, HEIGHT = 900, 500
FREE_SIZE = {"chart-tree": (300, 200)}

# Collects the page's errors from the start: script errors and resources
# that failed to load (an error event of an element, caught while capturing).
COLLECT_ERRORS = """
window.__errors = [];
window.addEventListener('error', function (e) {
    window.__errors.push(e.message || ('failed to load ' + (e.target && (e.target.src || e.target.href))));
}, true);
"""

# Per chart image: whether it is there and loaded, its natural size, and
# what its pixels are (drawn onto a canvas: data: URIs do not taint it).
INSPECT = """
return arguments[0].map(function (id) {
    var img = document.getElementById(id);
    if (!img) return {id: id, present: false};
    var r = {id: id, present: true, tag: img.tagName, complete: img.complete,
             width: img.naturalWidth, height: img.naturalHeight};
    if (!img.complete || img.naturalWidth === 0) return r;
    var c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    var ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    var d = ctx.getImageData(0, 0, c.width, c.height).data;
    var colours = {}, ncolours = 0, differ = 0;
    for (var i = 0; i < d.length; i += 4) {
        var k = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
        if (!(k in colours)) { colours[k] = 1; ncolours++; }
        if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) differ++;
    }
    r.colours = ncolours;
    r.drawn = differ / (d.length / 4);
    return r;
});
"""

n = 0
failed = 0


def tap(ok, description, details=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, description))
    if not ok:
        failed += 1
        if details:
            for line in str(details).splitlines():
                print("#   " + (line if len(line) <= 300 else line[:300] + "..."))


def main(report, screenshot):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1400,1000", "--hide-scrollbars"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT_ERRORS})
        driver.get("file://" + os.path.abspath(report))
        tap(driver.execute_script("return document.readyState") == "complete"
            and driver.title == "crm report", "the report loads in Chromium (title 'crm report')", driver.title)

        for r in driver.execute_script(INSPECT, CHARTS):
            cid = r["id"]
            if not r["present"]:
                tap(False, "%s is in the report" % cid, "no element with that id")
                continue
            loaded = r["tag"] == "IMG" and r["complete"] and r["width"] > 0
            tap(loaded, "%s is an image that loaded" % cid, json.dumps(r))
            if not loaded:
                continue
            if cid in FREE_SIZE:
                w, h = FREE_SIZE[cid]
                tap(r["width"] >= w and r["height"] >= h, "%s is at least %d x %d (%d x %d)"
                    % (cid, w, h, r["width"], r["height"]))
            else:
                tap((r["width"], r["height"]) == (WIDTH, HEIGHT), "%s is %d x %d (%d x %d)"
                    % (cid, WIDTH, HEIGHT, r["width"], r["height"]))
            tap(r["colours"] >= 3 and r["drawn"] >= 0.02, "%s is drawn: %d colours, %.1f %% of pixels not background"
                % (cid, r["colours"], 100 * r["drawn"]), json.dumps(r))

        images = driver.execute_script(
            "return Array.from(document.images).map(function (i) { return [i.id, i.complete && i.naturalWidth > 0]; })")
        tap(sorted(i for i, _ in images) == sorted(CHARTS) and all(ok for _, ok in images),
            "the report has exactly the %d charts, none broken" % len(CHARTS), images)
        errors = driver.execute_script("return window.__errors")
        tap(errors == [], "no script error and no resource that failed to load", errors)
        console = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        tap(console == [], "no error on the browser console", console)
        fetched = driver.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        tap(fetched == [], "nothing fetched: the page is self-contained", fetched)

        # the whole page, beyond the window
        height = driver.execute_script("return document.documentElement.scrollHeight")
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        data = base64.b64decode(shot["data"])
        with open(screenshot, "wb") as f:
            f.write(data)
    finally:
        driver.quit()

    # the screenshot: a PNG of the whole page, with something on it
    pixels = mpimg.imread(io.BytesIO(data), format="png")
    tap(data[:8] == b"\x89PNG\r\n\x1a\n" and pixels.shape[0] >= height and pixels.shape[1] >= 1000,
        "the screenshot is the whole page (%d x %d pixels for a page %d high)" % (pixels.shape[1], pixels.shape[0], height))
    background = pixels[0, 0, :3]
    drawn = float((abs(pixels[:, :, :3] - background).sum(axis=2) > 0.05).mean())
    tap(drawn >= 0.05, "the screenshot is not blank (%.1f %% of pixels drawn)" % (100 * drawn))

    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
