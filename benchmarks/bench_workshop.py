"""Slider-to-redraw latency of the workshop app in a real Chromium (target <= 300 ms on 2 cores).

Starts the app on 127.0.0.1 (free port), opens it in Debian's /usr/bin/chromium via Playwright,
then repeatedly moves a slider by keyboard and measures, inside the page, the time from the key
press until the outcomes graph holds the new series (plotly_afterplot).  Also times the server
side alone (simulate + figure).  Run: ``python benchmarks/bench_workshop.py [--n 30]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import threading
import time

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

MEASURE = """async ([py, key]) => {
  const gd = document.querySelector('#outcomes-graph .js-plotly-plot');
  const thumb = document.querySelector(`.lever[data-py="${py}"] [role=slider]`);
  const y0 = JSON.stringify(gd.data.find(d => d.meta.run === 'current' && d.meta.var === 'total_revenue').y);
  const t0 = performance.now();
  const done = new Promise(resolve => {
    const check = () => {
      const g = document.querySelector('#outcomes-graph .js-plotly-plot');
      const d = g.data.find(d => d.meta.run === 'current' && d.meta.var === 'total_revenue');
      if (JSON.stringify(d.y) !== y0) { resolve(performance.now() - t0); } else { requestAnimationFrame(check); }
    };
    requestAnimationFrame(check);
  });
  thumb.focus();
  thumb.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
  thumb.dispatchEvent(new KeyboardEvent('keyup', {key, bubbles: true}));
  const ms = await done;
  await new Promise(r => requestAnimationFrame(() => r()));
  return ms;
}"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30, help="slider moves to time")
    ap.add_argument("--lever", default="selectivity")
    a = ap.parse_args()
    if not os.path.exists("/usr/bin/chromium"):
        raise SystemExit("needs /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    import ambidex
    from ambidex.workshop import callbacks, create_app, runs, state

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    model = ambidex.load_model()
    t = time.perf_counter()
    app = create_app(model)
    print(f"app build incl. warm-up: {time.perf_counter() - t:.2f} s   cores: {os.cpu_count()}")

    # server side alone: fresh levers (no cache hit) -> simulate -> figure dict
    st = state.state_from_scenario(model, "baseline_dual")
    server_ms = []
    for i in range(a.n):
        st2, _ = state.set_levers(model, st, {a.lever: 0.1 + 0.8 * i / a.n + 1e-7})
        t = time.perf_counter()
        callbacks.outcome_figure(model, st2)
        server_ms.append(1e3 * (time.perf_counter() - t))
    print(f"server (simulate + figure), ms: median {statistics.median(server_ms):.1f}  "
          f"p90 {sorted(server_ms)[int(0.9 * len(server_ms))]:.1f}  max {max(server_ms):.1f}")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = b.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("() => { const g = document.querySelector('#outcomes-graph .js-plotly-plot');"
                               " return g && g.data && g.data.some(d => d.meta.run === 'current'); }",
                               timeout=60000)
        runs._CACHE.clear()
        lat = []
        for i in range(a.n):
            key = "ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft"
            if i >= 10 and (i // 10) % 2 == 1 and i % 10 == 0:
                runs._CACHE.clear()  # moving back would otherwise hit the cache
            lat.append(page.evaluate(MEASURE, [a.lever, key]))
            time.sleep(0.05)
        b.close()
    srv.shutdown()
    lat.sort()
    print(f"slider -> redraw in the browser, ms (n={len(lat)}): median {statistics.median(lat):.0f}  "
          f"p90 {lat[int(0.9 * len(lat))]:.0f}  max {lat[-1]:.0f}  (target <= 300)")


if __name__ == "__main__":
    main()
