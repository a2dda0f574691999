"""What a person does in the browser during a journey: open the app, sign in, click, look.

Journeys reach every page by clicking from the role's home page: the only addresses typed are the
app's root and the confirmation link the person opens from their email. Labels are the Thai the
person reads, looked up from the app's own catalogue by their English msgid (``th``).
"""

from __future__ import annotations

import re
import weakref
from datetime import date
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from eplan_flow.thaidate import today_local
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import ROOT, SCREENSHOTS, JourneyServer

CATALOGUE = ROOT / "eplan_flow" / "translations" / "th" / "LC_MESSAGES" / "messages.po"
DEMO_PASSWORD = "demo1234"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
TIMEOUT_MS = 15_000
_WITHOUT_JAVASCRIPT: weakref.WeakSet[BrowserContext] = weakref.WeakSet()


@cache
def _catalogue() -> dict[str, str]:
    with CATALOGUE.open("rb") as source:
        catalog = read_po(source, locale="th")
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.string}


def th(msgid: str, **values) -> str:
    """The Thai a person reads for ``msgid`` (the English msgid when it has no translation yet)."""
    text = _catalogue().get(msgid, msgid)
    return text % values if values else text


def new_page(browser: Browser, *, javascript: bool = True) -> Page:
    context: BrowserContext = browser.new_context(
        locale="th-TH", java_script_enabled=javascript, viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(TIMEOUT_MS)
    if not javascript:
        _WITHOUT_JAVASCRIPT.add(context)
    return context.new_page()


def accessible(page: Page) -> None:
    """Fail on serious or critical axe-core violations (tests/e2e/axe.py); axe needs JavaScript,
    so pages of a browser without it are not checked."""
    if page.context not in _WITHOUT_JAVASCRIPT:
        assert_accessible(page)


def sign_in(page: Page, server: JourneyServer, username: str, password: str = DEMO_PASSWORD) -> None:
    """Open the app's root and sign in through the SSO; lands on the role's home page."""
    page.goto(server.url + "/")
    sso_sign_in(page, f"{username}@example.org" if "@" not in username else username, password)
    expect(page).to_have_url(server.url + "/")
    expect(page.locator("main h1").first).to_be_visible()


def sso_sign_in(page: Page, email: str, password: str) -> None:
    """Fill the SSO's sign-in form (the page the app sent the browser to)."""
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form").filter(has=page.locator("input[name=password]")).get_by_role(
        "button", name=th("Sign in"), exact=True
    ).click()


def sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name=th("Sign out")).click()


def click_link(
    page: Page, name: str | re.Pattern, *, within: str = "body", exact: bool = False, navigates: bool = True
) -> None:
    """Follow a link and wait until the page it leads to has loaded, so what the test looks for
    next (often whether a form is offered at all) is read from that page, not the one before.
    A download (``navigates=False``) or an in-page link is just clicked."""
    link = page.locator(within).get_by_role("link", name=name, exact=exact).first
    if not navigates or (link.get_attribute("href") or "#").startswith("#"):
        link.click()
        return
    with page.expect_navigation(wait_until="load"):
        link.click()


def click_button(page: Page, name: str | re.Pattern, *, within: str = "main", exact: bool = False) -> None:
    page.locator(within).get_by_role("button", name=name, exact=exact).first.click()


def go_home(page: Page) -> None:
    page.locator("nav.site-nav").get_by_role("link", name=th("Home"), exact=True).click()


def menu(page: Page, name: str) -> None:
    """Follow a link of the main menu (on a phone it may sit behind a menu button)."""
    nav = page.locator("nav.site-nav")
    link = nav.get_by_role("link", name=name, exact=True).first
    if not link.is_visible():
        toggle = page.get_by_role("button", name=re.compile(th("Menu")))
        if toggle.count():
            toggle.first.click()
    link.click()


def expect_success(page: Page) -> None:
    """The last action went through: no error message, on the page or beside a field."""
    errors = page.locator(".flash.error, .field-error, .error-message, [aria-invalid=true]")
    assert errors.count() == 0, f"an error on {page.url}: {errors.first.inner_text()}"


def screenshot_home(page: Page, server: JourneyServer, role: str) -> list[Path]:
    """Write the role's home page at desktop and phone sizes for a reviewer to look at."""
    folder = SCREENSHOTS / server.kind
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    original = page.viewport_size
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        path = folder / f"{role}-{label}-{width}x{height}.png"
        page.screenshot(path=str(path), full_page=False)
        written.append(path)
    if original:
        page.set_viewport_size(original)
    return written


def be_date(day: date) -> str:
    """A date as a person types it: dd/mm/yyyy of the Buddhist Era."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def fill_date(field: Locator, day: date) -> None:
    """Type a date into a date field: dd/mm/yyyy B.E. (a Gregorian date picker takes the ISO date;
    the journeys fail on any, see ``date_pickers``)."""
    if field.get_attribute("type") == "date":
        field.fill(day.isoformat())
    else:
        field.fill(be_date(day))


def date_pickers(page: Page) -> list[str]:
    """The names of the Gregorian date pickers on the page (every date input should be B.E. text)."""
    return [f.get_attribute("name") or "" for f in page.locator("main input[type=date]").all()]


def take_step(page: Page, trigger: str, *, comment: str = "", on: date | None = None) -> None:
    """On a workflow item's page, fill in the step's form (its meeting date, resolution and
    comment) and press its button."""
    form = page.locator(f"main form:has(#trigger-{trigger})")
    expect(form, f"the step {trigger!r} is not offered on {page.url}").to_have_count(1)
    assert not form.locator("input[type=date]").count(), f"a Gregorian date picker in {trigger!r}"
    for field in form.locator("input:not([type=hidden]), textarea").all():
        name = field.get_attribute("name") or ""
        if name == "comment":
            field.fill(comment or "ดำเนินการตามมติที่ประชุม")
        elif name.endswith(("_date", "_on")):
            # Today where the LAO is (Asia/Bangkok), as the server dates its own records.
            fill_date(field, on or today_local())
        else:
            field.fill("ครั้งที่ 1/2570 มติเห็นชอบ")
    form.locator("button[type=submit]").click()
    expect_success(page)
    expect(page.locator(".flash.success").first, f"no confirmation of {trigger!r}").to_be_visible()


def open_task(page: Page, name: str) -> None:
    """From the home page, open the item waiting for this person's step."""
    item = page.locator("#home-tasks li").filter(has_text=name)
    expect(item.first, f"{name!r} is not among the tasks on the home page").to_be_visible()
    item.first.locator("a.home-task-step").click()


def form_of(page: Page, button: str) -> Locator:
    """The form on the page whose submit button reads ``button``."""
    return page.locator("main form").filter(has=page.get_by_role("button", name=button, exact=True))
