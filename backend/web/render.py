"""Jinja2 pages: the layout's context (community name, language, navigation) and the answer."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from backend.auth.capabilities import Capability, Role
from backend.auth.dependencies import Actor
from backend.core.config import Settings
from backend.web.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_NAMES,
    Speaker,
    direction,
    pick_language,
)

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "frontend" / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)

environment.globals["timedelta_days"] = lambda n: timedelta(days=n)

# Personal pages are never kept by the browser or a proxy: a phone may be checked.
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}


def N_(message: str) -> str:
    """Marks a message for the catalog; the template translates it when shown."""
    return message


# Words the templates translate from a stored value (statuses, kinds of shift), and the
# form messages shown most often.
STORED_WORDS = (
    N_("Some fields need attention."),
    N_("This field is required."),
    N_("Give a date and times."),
    N_("Choose a name from the list."),
    N_("This page does not exist."),
    N_("You do not have permission to do this."),
    N_("That pseudonym and password do not match an account."),
    N_("A content warning is at most 80 characters."),
    N_("Tick the box to confirm you read the list."),
    N_("Give a time such as 22:00."),
    N_("Give a date and a time."),
    N_("Give both times, or neither."),
    N_("Quiet hours need a start and an end."),
    N_("Required for this role."),
    N_("Leave empty for this role."),
    N_("A name has at least 2 characters."),
    N_("An organisation with this name exists already."),
    N_("This name is taken."),
    N_("Content warnings are for support groups and working groups."),
    N_("interviewing"),
    N_("voting"),
    N_("approved"),
    N_("rejected"),
    N_("no_quorum"),
    N_("withdrawn"),
    N_("confirmed"),
    N_("proposed"),
    N_("accepted"),
    N_("declined"),
    N_("refused"),
    N_("cancelled"),
    N_("invited"),
    N_("active"),
    N_("ended"),
    N_("outreach"),
    N_("drop_in"),
    N_("helpline"),
    N_("group"),
    N_("accompaniment"),
)


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str


def speaker_for(request: Request, actor: Actor | None) -> Speaker:
    if actor is not None:
        return Speaker(actor.account.language, actor.account.time_zone)
    language = pick_language(
        request.cookies.get(LANGUAGE_COOKIE), accept=request.headers.get("accept-language")
    )
    return Speaker(language, "UTC")


def navigation(actor: Actor | None, say: Speaker) -> list[NavItem]:
    if actor is None:
        return []
    _ = say.gettext
    items = [NavItem("/", _("Home"))]
    can = actor.can
    if can(Capability.ROOMS_PARTICIPATE) or can(Capability.ROOMS_FACILITATE):
        items.append(NavItem("/rooms", _("Rooms")))
        items.append(NavItem("/sessions", _("Sessions")))
    items.append(NavItem("/membership", _("My path")))
    if can(Capability.MEMBERSHIP_VOTE) or can(Capability.MEMBERSHIP_READ):
        items.append(NavItem("/votes", _("Roots")))
    if can(Capability.PEERWORK_WORK):
        items.append(NavItem("/work", _("My work")))
    if can(Capability.PEERWORK_SCHEDULE) or can(Capability.PEERWORK_ONBOARD):
        items.append(NavItem("/coordination", _("Coordination")))
    if can(Capability.SAFETY_REVIEW):
        items.append(NavItem("/safety", _("Safety")))
    if can(Capability.SETTINGS_MANAGE) or can(Capability.AGREEMENTS_MANAGE):
        items.append(NavItem("/admin", _("Settings")))
    items.append(NavItem("/notifications", _("Notices")))
    items.append(NavItem("/account", _("Account")))
    return items


def page(
    request: Request,
    template: str,
    *,
    actor: Actor | None,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    say = speaker_for(request, actor)
    values = {
        "request": request,
        "actor": actor,
        "me": actor.account if actor else None,
        "Capability": Capability,
        "Role": Role,
        "community_name": settings.community_name,
        "quick_exit_url": settings.quick_exit_url,
        "title": title,
        "lang": say.language,
        "dir": direction(say.language),
        "languages": LANGUAGE_NAMES,
        "nav": navigation(actor, say),
        "say": say,
        "_": say.gettext,
        "ngettext": say.ngettext,
        "current_path": request.url.path,
        "error": None,
        "fields": {},
        "notice": None,
        **context,
    }
    html = environment.get_template(template).render(values)
    return HTMLResponse(
        html, status_code=status_code, headers={**NO_STORE, **page_policy(settings)}
    )


def page_policy(settings: Settings) -> dict[str, str]:
    """The API's policy, except that the quick-exit form may lead to the exit site: Chromium
    checks form-action on the redirect too, so without JavaScript the exit would stop."""
    exit_url = urlsplit(settings.quick_exit_url)
    exit_origin = f"{exit_url.scheme}://{exit_url.netloc}" if exit_url.netloc else ""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            f"form-action 'self' {exit_origin}".strip()
        )
    }


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)
