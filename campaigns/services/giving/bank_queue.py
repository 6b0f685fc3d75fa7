"""The queue of statement lines no pledge matched on import, and staff's decisions on
each: match it to a pledge (by its code, or one found by name, amount and date), record
it as a gift to a campaign, or mark it as no donation with a reason.

A decision claims the line by a compare-and-set on its status (waiting -> decided), so of
two staff deciding at once one acts and the other is told. Each is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from campaigns.models import BankLine, Campaign, Donation, DonationStatus
from campaigns.models.bank import LineStatus
from campaigns.models.base import utcnow
from campaigns.models.campaign import Designation
from campaigns.money import format_plain, share_of
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.giving.bank_import import pay_pledge
from campaigns.services.giving.offline import OfflineGiftForm, PaymentMethod, record_offline_gift
from campaigns.services.giving.settlement import Outcome
from campaigns.settings import Settings
from campaigns.statements.codes import compact, is_valid
from campaigns.text import check_text, parse_int, read_text

MAX_REASON = 500
MAX_SEARCH = 100
SEARCH_LIMIT = 20


@dataclass
class MatchForm:
    code: str = ""  # the pledge's reference code as staff typed it, or
    pledge: str = ""  # a pledge's id chosen from the search


@dataclass
class LineGiftForm:
    campaign: str = ""
    donor_name: str = ""
    donor_email: str = ""
    designation: str = Designation.GENERAL.value


@dataclass
class DismissForm:
    reason: str = ""


def waiting_lines(session: Session) -> list[BankLine]:
    return list(
        session.scalars(
            select(BankLine)
            .where(BankLine.status == LineStatus.WAITING)
            .order_by(BankLine.booked_on, BankLine.id)
        )
    )


def recent_lines(session: Session, limit: int = 50) -> list[BankLine]:
    """Lines decided lately (matched on import or by staff), newest first."""
    return list(
        session.scalars(
            select(BankLine)
            .where(BankLine.status != LineStatus.WAITING)
            .order_by(BankLine.imported_at.desc(), BankLine.id.desc())
            .limit(limit)
        )
    )


def find_pledges(session: Session, line: BankLine, query: str = "") -> list[Donation]:
    """Pledges still waiting that ``line`` might pay: by default those of its currency and
    amount; with ``query``, those whose donor name, e-mail or code contains it. Oldest
    first beside the line's date."""
    pledges = select(Donation).where(
        Donation.status == DonationStatus.PENDING,
        Donation.transfer_code.is_not(None),
        Donation.currency == line.currency,
    )
    refused: dict[str, str] = {}
    text = " ".join(check_text(query, "q", refused).split())[:MAX_SEARCH]
    if refused:
        text = ""  # control characters: no search, the default list
    if text:
        like = f"%{text.lower()}%"
        pledges = pledges.where(
            or_(
                func.lower(Donation.donor_name).like(like),
                Donation.donor_email.like(like),
                Donation.transfer_code == compact(text),
            )
        )
    else:
        pledges = pledges.where(Donation.amount == line.amount)
    return list(session.scalars(pledges.order_by(Donation.created_at).limit(SEARCH_LIMIT)))


def _claim(session: Session, line: BankLine, to: LineStatus, actor: Actor, **values) -> None:
    """Take the waiting line for one decision, or FormInvalid when someone else did."""
    won = session.execute(
        update(BankLine)
        .where(BankLine.id == line.id, BankLine.status == LineStatus.WAITING)
        .values(
            status=to,
            decided_at=utcnow(),
            decided_by_id=actor.user.id if actor and actor.user else None,
            **values,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(line)
    if not won:
        raise FormInvalid({"": _("This line has already been dealt with.")})


def _pledge(session: Session, form: MatchForm) -> Donation:
    code = compact(form.code)
    if code:
        if not is_valid(code):
            raise FormInvalid(
                {"code": _("This is not a valid reference code; please check it for typos.")}
            )
        pledge = session.scalar(select(Donation).where(Donation.transfer_code == code))
    else:
        pledge_id = parse_int(form.pledge, minimum=1)
        pledge = session.get(Donation, pledge_id) if pledge_id else None
        if pledge is not None and pledge.transfer_code is None:
            pledge = None
    if pledge is None:
        raise FormInvalid({"code": _("No pledge has this reference code.")})
    if pledge.status != DonationStatus.PENDING:
        raise FormInvalid(
            {"code": _("This pledge is no longer waiting; record the line as a gift instead.")}
        )
    return pledge


def match_line(
    session: Session,
    settings: Settings,
    line: BankLine,
    form: MatchForm,
    *,
    actor: Actor,
    today: date,
) -> Donation:
    """Staff match a waiting line to a pledge: it is paid, and a line bringing more pays
    the rest as a gift. A line bringing less pays the pledge at what came in (the pledge
    is lowered to it first; the audit log keeps both)."""
    pledge = _pledge(session, form)
    if pledge.currency != line.currency:
        raise FormInvalid({"code": _("This pledge is in another currency.")})
    _claim(session, line, LineStatus.MATCHED, actor)
    before = pledge.amount
    if line.amount < pledge.amount:
        session.execute(
            update(Donation)
            .where(Donation.id == pledge.id, Donation.status == DonationStatus.PENDING)
            # The fee cover the donor ticked shrinks in proportion with what came in.
            .values(
                amount=line.amount,
                fee_cover=share_of(line.amount, pledge.fee_cover, pledge.amount),
            )
            .execution_options(synchronize_session=False)
        )
        session.refresh(pledge)
    if pay_pledge(session, settings, line, pledge, actor=actor, today=today) != Outcome.PAID:
        raise FormInvalid({"code": _("This pledge is no longer waiting.")})
    record_change(
        session,
        actor=actor,
        action="bank_line.matched_by_staff",
        entity_type="bank_line",
        entity_id=line.id,
        before={"pledged": before},
        after={"donation": pledge.token, "paid": line.amount},
    )
    return pledge


def record_line_gift(
    session: Session,
    settings: Settings,
    line: BankLine,
    form: LineGiftForm,
    *,
    actor: Actor,
    locale: str,
    today: date,
) -> Donation:
    """Staff record a waiting line as a gift to a campaign in its currency, under the
    sender's name: a paid gift with its receipt (and thank-you when an e-mail is given)."""
    campaign_id = parse_int(form.campaign, minimum=1)
    campaign = session.get(Campaign, campaign_id) if campaign_id else None
    if campaign is None:
        raise FormInvalid({"campaign": _("Please choose a campaign.")})
    if campaign.currency != line.currency:
        raise FormInvalid(
            {"campaign": _("This campaign takes %(code)s gifts.", code=campaign.currency)}
        )
    _claim(session, line, LineStatus.RECORDED, actor)
    gift = record_offline_gift(
        session,
        campaign,
        OfflineGiftForm(
            amount=format_plain(line.amount, line.currency, locale),
            designation=form.designation,
            method=PaymentMethod.BANK_TRANSFER.value,
            donor_name=form.donor_name,
            donor_email=form.donor_email,
            received_on=line.booked_on.isoformat(),
            note=line.description,
        ),
        locale=locale,
        today=max(today, line.booked_on),
        actor=actor,
        receipts=settings.receipts,
    )
    line.donation_id = gift.id
    session.flush()
    record_change(
        session,
        actor=actor,
        action="bank_line.recorded",
        entity_type="bank_line",
        entity_id=line.id,
        after={"donation": gift.token, "campaign": campaign.slug},
    )
    return gift


def dismiss_line(session: Session, line: BankLine, form: DismissForm, *, actor: Actor) -> None:
    """Staff mark a waiting line as no donation (a supplier's refund, say), with a reason."""
    errors: dict[str, str] = {}
    reason = read_text(form.reason, "reason", MAX_REASON, errors, required=True)
    if errors:
        raise FormInvalid(errors)
    _claim(session, line, LineStatus.NOT_DONATION, actor, note=reason)
    record_change(
        session,
        actor=actor,
        action="bank_line.not_donation",
        entity_type="bank_line",
        entity_id=line.id,
        after={"reason": reason, "amount": line.amount, "currency": line.currency},
    )
