"""The dashboard as an operator uses it, in headless Chromium (scripts/browser-check starts the system).

Each step waits for what the page should show (WebDriverWait, polling the DOM) and fails with
what it saw instead. Screenshots of the overview and of an event's detail are written to
--screenshots.
"""

import argparse
import json
import shlex
import subprocess
import sys
import time
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HOSTILE = "<script>alert(1)</script>"


def post_order(producer, user_name):
    body = json.dumps({
        "flavor": "Margherita", "size": "Large", "quantity": 1, "price": 12.5,
        "address": "1 Test Street", "user_name": user_name,
    }).encode()
    request = urllib.request.Request(producer + "/pizza", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201, response.status
        return json.load(response)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dashboard", required=True)
    parser.add_argument("--producer", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--declined-user", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--job-command", required=True, help="starts the relay once the backlog has been seen")
    parser.add_argument("--job-log", required=True)
    args = parser.parse_args()
    job = None

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)
    failures = []

    def step(name, check, timeout=10):
        """Waits until check() returns a truthy value; records a failure with the last value seen."""
        seen = {}

        def attempt(_):
            try:
                value = check()
            except Exception as error:  # the element may not exist yet
                seen["value"] = repr(error)
                return False
            seen["value"] = value
            return value

        started = time.monotonic()
        try:
            result = WebDriverWait(driver, timeout, poll_frequency=0.05).until(attempt)
            print(f"  ok   {name} ({time.monotonic() - started:.2f} s)")
            return result
        except TimeoutException:
            print(f"  FAIL {name}: last seen {seen.get('value')!r}")
            failures.append(name)
            return None

    def text(selector):
        return driver.find_element(By.CSS_SELECTOR, selector).text

    try:
        # Sign in: a wrong token is refused, the right one opens the overview.
        driver.get(args.dashboard + "/")
        step("unsigned visit lands on the sign-in form", lambda: driver.current_url.endswith("/login"))
        driver.find_element(By.ID, "token").send_keys("not-the-token")
        driver.find_element(By.CSS_SELECTOR, "#sign-in button").click()
        step("a wrong token is refused", lambda: "not the admin token" in text("#sign-in-error"))
        # The refused sign-in's 401 is the one error the console may show: read it off before going on.
        driver.get_log("browser")
        driver.find_element(By.ID, "token").send_keys(args.token)
        driver.find_element(By.CSS_SELECTOR, "#sign-in button").click()
        step("sign-in opens the overview", lambda: driver.find_elements(By.ID, "card-pending"))
        cookie = driver.get_cookie("pizza_dashboard")
        step("the session cookie is HttpOnly and SameSite=Strict",
             lambda: cookie and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict")

        # The overview: live, with the backlog's figures and the groups.
        step("the page is live (Server-Sent Events)", lambda: text("#live") == "live")
        step("the overview shows the backlog: 40 orders pending, none completed",
             lambda: text("#card-pending .value") == "40" and text("#card-completed .value") == "0")
        step("the oldest pending order's age is shown", lambda: text("#card-oldest .value").endswith(" s"))
        with open(args.job_log, "w") as log:
            job = subprocess.Popen(shlex.split(args.job_command), stdout=log, stderr=subprocess.STDOUT)
        step("the backlog drains once the job runs",
             lambda: text("#card-pending .value") == "0"
             and int(text("#card-completed .value").replace(",", "").lstrip("≈ ")) >= 40, timeout=20)
        step("the consumer group is listed", lambda: "kitchen" in text("#groups"))
        step("the group has its charts (read/s, lag and pending, latency)",
             lambda: len(driver.find_elements(By.CSS_SELECTOR, '#groups tr[data-group="kitchen"] svg.spark polyline')) >= 3)

        # Orders posted while the page is open move the numbers and the chart within 2 s.
        before_completed = int(text("#card-completed .value").replace(",", "").lstrip("≈ "))

        def newest_point_above_zero():
            points = driver.find_element(By.CSS_SELECTOR, "#chart-orders polyline").get_attribute("points").split()
            # The chart is 60 high and a zero sits at y = 58: the newest sample must stand above it.
            return points and float(points[-1].split(",")[1]) < 57.5

        posted = time.monotonic()
        for _ in range(10):
            post_order(args.producer, "Live Larry")
        left = lambda: max(0.1, 2 - (time.monotonic() - posted))
        step("orders/s rises within 2 s of the first order", lambda: float(text("#card-orders .value").replace(",", "") or 0) > 0, timeout=left())
        step("the orders chart's newest point rises within 2 s", newest_point_above_zero, timeout=left())
        step("completed grows as the relay publishes",
             lambda: int(text("#card-completed .value").replace(",", "").lstrip("≈ ")) >= before_completed + 10, timeout=10)
        step("commit → effect latency is shown", lambda: "ms" in text("#card-latency .value"))
        driver.save_screenshot(f"{args.screenshots}/dashboard-overview.png")

        # A declined order: its event fails twice and is parked; the Failed page lists it; Retry requeues it.
        declined = post_order(args.producer, args.declined_user)
        declined_event = declined["event_id"]
        row_selector = f'tr[data-event-id="{declined_event}"]'

        def listed_as_failed():
            """The declined event's row, freshly rendered with status failed; else asks the page to render again."""
            rows = driver.find_elements(By.CSS_SELECTOR, row_selector)
            if rows and rows[0].find_element(By.CSS_SELECTOR, ".status").text == "failed":
                return rows[0]
            driver.execute_script("window.dispatchEvent(new HashChangeEvent('hashchange'))")
            return None

        driver.get(args.dashboard + "/#/failed")
        row = step("the declined order's event appears among the failed", listed_as_failed, timeout=15)
        if row:
            step("the failed event shows its error", lambda: "declined" in row.text.lower())
            row.find_element(By.CSS_SELECTOR, "button[data-retry]").click()
            step("Retry requeues it and the page shows it pending",
                 lambda: driver.find_element(By.CSS_SELECTOR, row_selector + " .status").text == "pending"
                 and "Requeued" in text("#action-result"))

        # It fails again and is parked again: Retry all asks for confirmation first.
        if step("the parked event is listed again after its next failures", listed_as_failed, timeout=15):
            step("Retry all is offered", lambda: driver.find_element(By.ID, "retry-all").is_displayed())
            driver.find_element(By.ID, "retry-all").click()
            step("Retry all asks for confirmation", lambda: driver.find_element(By.ID, "retry-all-confirm").is_displayed())
            driver.find_element(By.ID, "retry-all-confirm").click()
            step("Retry all reports what it requeued",
                 lambda: "Requeued" in text("#action-result") and not driver.find_elements(By.CSS_SELECTOR, row_selector))

        # A customer whose name is markup: shown as text on the order's timeline and the event's detail; nothing runs.
        hostile = post_order(args.producer, HOSTILE)
        driver.get(args.dashboard + "/#/orders/" + hostile["id"])
        step("the order timeline shows the name as text", lambda: text("#order-customer") == HOSTILE)
        step("the timeline shows the publish and the effect",
             lambda: (driver.refresh() or True) and "took effect in kitchen" in text("#timeline"), timeout=10)
        driver.get(args.dashboard + "/#/events/" + hostile["event_id"])
        step("the event detail shows the payload with the name as text", lambda: HOSTILE in text("#payload"))
        step("the event detail shows where it took effect", lambda: "yes" in text("#effects"))
        step("the event detail shows its trace id", lambda: len(text("#trace-id")) == 32)
        try:
            driver.switch_to.alert
            failures.append("an alert ran")
            print("  FAIL an alert ran")
        except NoAlertPresentException:
            print("  ok   no script ran from the customer's name")
        step("no element came from the name", lambda: not driver.find_elements(By.XPATH, "//main//script"))
        driver.save_screenshot(f"{args.screenshots}/dashboard-event.png")

        # Search: by order id.
        box = driver.find_element(By.ID, "search-input")
        box.clear()
        box.send_keys(hostile["id"])
        driver.find_element(By.CSS_SELECTOR, "#search button").click()
        step("search by order id finds its event",
             lambda: driver.find_elements(By.CSS_SELECTOR, f'tr[data-event-id="{hostile["event_id"]}"]'))

        # The console: no errors (and no CSP violations) on any page visited.
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        if errors:
            failures.append("console errors")
            print("  FAIL console errors:", json.dumps(errors, indent=2))
        else:
            print("  ok   no console errors")
    finally:
        driver.quit()
        if job:
            job.terminate()
            if job.wait(timeout=30) != 0:
                failures.append("the job did not stop cleanly")

    if failures:
        print(f"browser check: {len(failures)} failed: {', '.join(failures)}")
        return 1
    print("browser check: all steps passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
