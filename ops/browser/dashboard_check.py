#!/usr/bin/env python3
"""Drives the coordinator's dashboard in headless Chromium as a user would, and reports what it saw.

  ops/browser/dashboard_check.py URL --token T --running JOB --finished JOB --cancel JOB --out DIR

Signs in with the token (typed into the form), screenshots the cluster page (DIR/cluster.png), the
running job's page once its previews have loaded (DIR/job-running.png) and waits for a preview to be
replaced by a later step's (live updates over Server-Sent Events), opens the finished job and waits for
its <video> to load (DIR/job-finished.png), then clicks Cancel on the job --cancel names. Prints one
JSON object; exits 1 with the reason on the last line when a step fails.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, BrowserError  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--token", required=True)
    parser.add_argument("--running", required=True)
    parser.add_argument("--finished", required=True)
    parser.add_argument("--cancel", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    base = args.url.rstrip("/")
    report = {"shots": {}}
    browser = Browser()
    try:
        browser.goto(base + "/")
        browser.wait("!document.querySelector('#login').hidden", what="the sign-in form")
        browser.type("#login-token", args.token)
        browser.click("#login-button")
        browser.wait("!document.querySelector('#home').hidden && document.querySelectorAll('#workers tbody tr').length > 0",
                     what="the cluster page with its workers")
        browser.wait(f"document.querySelector('#jobs tbody tr[data-job=\"{args.running}\"]')", what="the running job in the list")
        shot(browser, report, args.out, "cluster", args.running)
        report["workers"] = browser.eval("[...document.querySelectorAll('#workers tbody tr')].map(r => r.dataset.worker)")
        report["jobs_listed"] = browser.eval("[...document.querySelectorAll('#jobs tbody tr')].map(r => r.dataset.job)")

        # A link click stays in the page (history.pushState) and opens the job's view.
        browser.click(f"#jobs a[href=\"/jobs/{args.running}\"]")
        loaded = "[...document.querySelectorAll('img.preview')].filter(i => i.complete && i.naturalWidth > 0)"
        # A few steps in, so the prediction already shows the scene.
        browser.wait(f"{loaded}.some(i => Number(i.dataset.step) >= 4)", timeout=90, what="a preview of step 4 or later on the running job's page")
        # Each preview's step, by the window (or group) it shows: the grid may be redrawn meanwhile.
        steps = ("Object.fromEntries([...document.querySelectorAll('img.preview')].map(i => "
                 "[i.closest('.cell').dataset.window ?? 'g' + i.closest('.cell').dataset.group, Number(i.dataset.step)]))")
        first = browser.eval(steps)
        shot(browser, report, args.out, "job-running", args.running)
        report["previews"] = browser.eval(f"{loaded}.map(i => [i.naturalWidth, i.naturalHeight])")
        report["live_events"] = browser.eval("document.querySelector('#live').textContent")
        # Live: a preview of a later step replaces one shown (the page is not reloaded).
        browser.wait(f"Object.entries({steps}).some(([k, step]) => step > ({json.dumps(first)}[k] ?? 1e9))",
                     timeout=60, what="a preview to be replaced by a later step's")
        report["preview_steps"] = {"first": first, "later": browser.eval(steps)}

        browser.goto(f"{base}/jobs/{args.finished}")
        browser.wait("!document.querySelector('#job-video').hidden", what="the finished job's video element")
        browser.wait("document.querySelector('#job-video').readyState >= 1 && document.querySelector('#job-video').duration > 0",
                     timeout=30, what="the video's metadata to load")
        report["video_duration"] = browser.eval("document.querySelector('#job-video').duration")
        browser.eval("document.querySelector('#job-video').currentTime = 1.0")
        browser.wait("!document.querySelector('#job-video').seeking && document.querySelector('#job-video').readyState >= 2",
                     timeout=30, what="a frame of the video after seeking")
        time.sleep(0.5)  # the frame is decoded; let it be painted
        shot(browser, report, args.out, "job-finished", args.finished)

        browser.goto(f"{base}/jobs/{args.cancel}")
        browser.wait(f"!document.querySelector('#job').hidden && document.querySelector('#job-title').textContent === {json.dumps(args.cancel)}",
                     what="the job to cancel")
        # Rendered (the state shown) and still running, so Cancel is enabled by the page itself.
        browser.wait("!document.querySelector('#job').hidden && document.querySelector('#job-state').textContent === 'running' && "
                     "!document.querySelector('[data-action=\"cancel\"]').disabled", what="the running job with its Cancel button")
        browser.click('[data-action="cancel"]')
        try:
            browser.wait("document.querySelector('#action-result').textContent !== ''", timeout=20, what="the answer to Cancel")
        except BrowserError as error:
            state = browser.eval("[document.querySelector('#job-state').textContent, "
                                 "document.querySelector('[data-action=\"cancel\"]').disabled, document.activeElement?.outerHTML]")
            raise BrowserError(f"{error} (page: state, Cancel disabled, focused element = {state})")
        report["cancel_answer"] = browser.eval("document.querySelector('#action-result').textContent")
        browser.wait("document.querySelector('#job-state').textContent === 'cancelled'", timeout=30, what="the job to show as cancelled")
        report["cancelled_state"] = browser.eval("document.querySelector('#job-state').textContent")
    except BrowserError as error:
        print(json.dumps(report))
        print(f"dashboard check: {error}")
        sys.exit(1)
    finally:
        browser.close()
    print(json.dumps(report))


def shot(browser, report, out, name, job):
    path = os.path.join(out, f"{name}.png")
    browser.screenshot(path)
    text = browser.eval("document.body.innerText")
    report["shots"][name] = {"path": path, "shows_job": job in text, "text": text[:2000]}


if __name__ == "__main__":
    main()
