"""Filing the draft: the ticket, the resident's receipt, the card in the grid's group."""

from __future__ import annotations

from models import enterprise, ticket_photos, tickets
from models.dialogs import set_state
from models.errors import BadInput, Refusal
from models.mediation_routing import is_mediation
from models.mediation_routing import team as mediator_team
from models.property_tables import PropertyCompany
from models.store.unit_of_work import Unit
from models.tables import AreaLevel, Ticket

from .. import texts, texts_property, urgent, web
from ..notify import post_card
from ..render import area_label, category_name, fmt_duration
from ..states import Step
from ..turn import Turn
from .draft import data
from .photos import photos_of


def submit(turn: Turn) -> None:
    """File the ticket and tell the resident its number and deadline tier."""
    u, d = turn.u, data(turn)
    if "cat" not in d or "desc" not in d or "area" not in d:
        raise BadInput(Refusal.CHOICE_EXPECTED)
    proxy = bool(d.get("proxy"))
    draft = tickets.Draft(
        category_code=d["cat"],
        description=d["desc"],
        area_id=int(d["area"]),
        photo=d.get("photo"),
        lat=d.get("lat"),
        lon=d.get("lon"),
        datum=d.get("datum", "wgs84"),
        address=d.get("addr"),
        phone=d.get("phone"),
        source=d.get("psrc", "other") if proxy else "self",
        contact_name=d.get("pname") if proxy else None,
    )
    # For a proxy filing the staff member is recorded as the resident of record, so the
    # notices reach someone who can pass them on; the real resident's name is on the ticket.
    ticket = tickets.create(u, turn.person, draft, filed_by=turn.person if proxy else None)
    ticket_photos.add(u.session, ticket.id, photos_of(d))
    # The scanned grid was for this report; the next one may be elsewhere.
    set_state(turn.dialog, Step.IDLE, u.now, {})
    if proxy:
        turn.reply(
            texts.SUBMITTED_PROXY.format(
                name=draft.contact_name, id=ticket.id, source=texts.SOURCE[draft.source]
            )
        )
    else:
        turn.reply(
            texts.SUBMITTED.format(
                id=ticket.id,
                category=category_name(u.session, ticket.category_code),
                tier=texts.TIER[ticket.tier],
                handed=_handed_to(u, ticket),
            )
            + _for_company(u, ticket)
            + web.progress_line(u, ticket)
        )
    post_card(u, ticket)
    urgent.alert_if_urgent(u, ticket)


def _for_company(u: Unit, ticket: Ticket) -> str:
    """以“…公司”的名义登记（企业诉求）, when the resident reports for a company."""
    company = enterprise.of_ticket(u.session, ticket.id)
    return texts.SUBMITTED_COMPANY.format(name=company.name) if company is not None else ""


def _handed_to(u: Unit, ticket: Ticket) -> str:
    """已转交 四季社区 第一网格 的网格员; a community or department ticket is handed to the area itself."""
    if is_mediation(u.session, ticket.category_code) and mediator_team(u.session, u.tree, ticket):
        return texts.SUBMITTED_TO["mediation"].format(area=area_label(u, ticket.area_id))
    company = u.session.get(PropertyCompany, ticket.property_id) if ticket.property_id is not None else None
    if company is not None:  # 有事您找我: the compound's property company first
        desk = texts_property.DESK.format(phone=company.phone) if company.phone else ""
        window = fmt_duration(u.rules.sla.property_claim_within)
        return texts_property.HANDED.format(company=company.name, desk=desk, window=window)
    key = "grid" if u.tree.by_id[ticket.area_id].level == AreaLevel.GRID else "other"
    return texts.SUBMITTED_TO[key].format(area=area_label(u, ticket.area_id))
