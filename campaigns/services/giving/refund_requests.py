"""Refunds asked for by staff, in two steps: ``plan_refund`` reads the form into what will
happen (the amount, the shares and their names, the receipt voided and replaced, the
e-mail the donor will get), shown to be confirmed; then ``claim_refund`` takes the gift
(a compare-and-set on what the page showed) and ``refund_donation`` asks the provider.

A gift of several shares is refunded share by share, chosen by their on-behalf names: the
names leave the gift's list when staff refund them, and the shares' units and stock come
back when the provider confirms (``refunds.post_refund``). Every refund needs a reason,
kept on the gift and in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaigns.models import Donation, LedgerEntry, LedgerKind
from campaigns.money import AmountError, read_amount
from campaigns.payments import PaymentProvider, ProviderError
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.books.receipts import live_receipt
from campaigns.services.giving.fulfilment import drop_shares
from campaigns.services.giving.offline import REFUNDABLE, donation_snapshot, is_offline
from campaigns.services.giving.refunds import apply_refunds, post_refund, share_price
from campaigns.services.mail.notifications import Notice, refund_notice
from campaigns.settings import Settings
from campaigns.text import parse_int, read_text

MAX_REASON = 1000


@dataclass
class RefundForm:
    """The refund form: the amount typed (a gift that is one whole) or the shares chosen
    (a gift of several), the reason, and the refunded amount and version the page showed
    (so a second click, or a refund made meanwhile, cannot refund twice unnoticed)."""

    amount: str = ""
    shares: list[str] = field(default_factory=list)
    reason: str = ""
    seen_refunded: str = ""
    version: str = ""  # the gift's version the page showed; blank from older clients


@dataclass(frozen=True)
class Share:
    """One share of a gift of several: its place in the gift and its on-behalf name."""

    index: int
    name: str


@dataclass(frozen=True)
class RefundPlan:
    """What a refund will do, as the confirmation page shows it."""

    amount: int
    shares: list[Share]  # the shares refunded (none for a gift that is one whole)
    reason: str
    names_kept: list[str]

    @property
    def indexes(self) -> list[int]:
        return [share.index for share in self.shares]


def changed_message() -> str:
    return _("This donation changed while you were looking at it; please check it again.")


def refundable(donation: Donation) -> int:
    """What can still be refunded, in minor units (0 when the status allows none)."""
    if donation.status not in REFUNDABLE:
        return 0
    return donation.amount - donation.refunded_amount


def shares_left(donation: Donation) -> list[Share]:
    """The shares not refunded yet of a gift of several, in order; [] for a gift that is
    one whole. Each refunded share has left an entry (its name, or "") in
    ``refunded_on_behalf``."""
    if share_price(donation) is None:
        return []
    count = donation.quantity - len(donation.refunded_on_behalf)
    names = list(donation.on_behalf)
    return [Share(n, names[n] if n < len(names) else "") for n in range(max(count, 0))]


def _whole(text: str) -> int:
    """A version number as posted; anything else matches no gift."""
    value = parse_int(text, maximum=2**31 - 1)
    return -1 if value is None else value


def plan_refund(donation: Donation, form: RefundForm, *, locale: str) -> RefundPlan:
    """Read the form into what the refund will do; FormInvalid (nothing changed) for a
    gift that changed since the page showed it, a missing reason, a bad amount or no
    shares chosen."""
    left = refundable(donation)
    if left == 0:
        raise FormInvalid({"": _("This donation cannot be refunded.")})
    changed = form.seen_refunded.strip() != str(donation.refunded_amount)
    if changed or (form.version.strip() and _whole(form.version) != donation.version):
        raise FormInvalid({"": changed_message()})
    errors: dict[str, str] = {}
    reason = read_text(form.reason, "reason", MAX_REASON, errors, required=True, multiline=True)
    if "reason" in errors and not form.reason.strip():
        errors["reason"] = _("Please say why this gift is refunded.")
    shares: list[Share] = []
    price = share_price(donation)
    if price is not None:
        available = {str(share.index): share for share in shares_left(donation)}
        if not form.shares or any(value not in available for value in form.shares):
            errors["shares"] = _("Please choose the shares to refund.")
        else:
            shares = [available[value] for value in sorted(set(form.shares), key=int)]
        amount = min(len(shares) * price, left)
    else:
        amount = _typed_amount(donation, form, locale, left, errors)
    if errors:
        raise FormInvalid(errors)
    chosen = {share.index for share in shares}
    names = [name for n, name in enumerate(donation.on_behalf) if n not in chosen]
    if amount == left:
        names = []
    return RefundPlan(amount=amount, shares=shares, reason=reason, names_kept=names)


def _typed_amount(donation: Donation, form: RefundForm, locale: str, left: int, errors) -> int:
    try:
        amount = read_amount(form.amount, donation.currency, locale)
    except AmountError as error:
        errors["amount"] = str(error)
        return 0
    if not 0 < amount <= left:
        errors["amount"] = _("Please enter an amount above zero and at most what is left.")
    return amount


def preview_notice(
    session: Session, settings: Settings, donation: Donation, plan: RefundPlan
) -> Notice | None:
    """The e-mail the donor will get once the refund is confirmed (None without an
    address): the replacing receipt's number is only known then."""
    if not donation.donor_email:
        return None
    kept = donation.amount - donation.refunded_amount - plan.amount
    voided = live_receipt(session, donation)
    with force_locale(donation.locale):
        to_come = _("[its number]") if kept and voided else None
    return refund_notice(
        settings,
        donation,
        amount=plan.amount,
        kept=kept,
        names_kept=plan.names_kept,
        voided=voided,
        replacement_number=to_come,
        replacement_url=None,  # its address exists once it is issued
    )


def claim_refund(
    session: Session, donation: Donation, form: RefundForm, *, locale: str
) -> RefundPlan:
    """Check the refund and take the gift for it: a compare-and-set on the refunded amount
    and version the page showed, so of two clicks, or two staff members at once, one goes
    on and the others are told the gift changed, with nothing moved.

    The caller commits the claim before ``refund_donation`` asks the provider, so the row
    lock it takes is never held across a network call."""
    plan = plan_refund(donation, form, locale=locale)
    seen = [Donation.id == donation.id, Donation.refunded_amount == donation.refunded_amount]
    if form.version.strip():
        seen.append(Donation.version == _whole(form.version))
    claimed = session.execute(
        update(Donation)
        .where(*seen)
        .values(version=Donation.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise FormInvalid({"": changed_message()})
    session.refresh(donation)
    return plan


def refund_donation(
    session: Session,
    provider: PaymentProvider,
    settings: Settings,
    donation: Donation,
    plan: RefundPlan,
    *,
    actor: Actor,
) -> bool:
    """Refund what ``plan`` says of ``donation``, claimed by ``claim_refund``; raise
    FormInvalid, changing nothing, when the provider refuses. Returns True when the totals
    changed now, False when they change on the provider's confirmation."""
    before = donation_snapshot(donation)
    _set_aside(session, donation, plan)
    if is_offline(donation):
        reference = _reverse(session, settings, donation, plan.amount)
        action, details = "donation.offline_reversal", {"reference": reference}
    else:
        details = _request_refund(session, provider, settings, donation, plan.amount)
        action = "donation.refund_request"
    record_change(
        session,
        actor=actor,
        action=action,
        entity_type="donation",
        entity_id=donation.id,
        before=before,
        after=donation_snapshot(donation)
        | details
        | {
            "requested": plan.amount,
            "reason": plan.reason,
            "shares": [share.name for share in plan.shares],
        },
    )
    return before != donation_snapshot(donation)


def _set_aside(session: Session, donation: Donation, plan: RefundPlan) -> None:
    """Keep the reason, and move the refunded shares' names out of the gift's list (before
    the books change, so the donor's e-mail names only the shares still given)."""
    chosen = set(plan.indexes)
    names = list(donation.on_behalf)
    session.execute(
        update(Donation)
        .where(Donation.id == donation.id)
        .values(
            refund_reason=plan.reason,
            on_behalf=[name for n, name in enumerate(names) if n not in chosen],
            refunded_on_behalf=[*donation.refunded_on_behalf]
            + [share.name for share in plan.shares],
        )
        .execution_options(synchronize_session=False)
    )
    drop_shares(session, donation, chosen)
    session.refresh(donation)


def _reverse(session: Session, settings: Settings, donation: Donation, amount: int) -> str:
    """An offline gift handed back: a refund entry, numbered per donation. Two clicks at
    once compute the same number and the ledger's unique reference keeps only one."""
    earlier = session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.donation_id == donation.id, LedgerEntry.kind == LedgerKind.REFUND)
    )
    reference = f"offline-reversal:{donation.token}:{earlier + 1}"
    post_refund(session, settings, donation, reference, amount)
    return reference


def _request_refund(
    session: Session, provider: PaymentProvider, settings: Settings, donation: Donation, amount: int
) -> dict:
    if donation.provider != provider.name or not donation.provider_payment_id:
        raise FormInvalid(
            {"": _("This donation was not paid through the payment service in use now.")}
        )
    # The same request sent twice (a double click, a retry) is one refund at the provider.
    key = f"refund-{donation.token}-{donation.refunded_amount}-{amount}"
    try:
        refund = provider.refund(donation.provider_payment_id, amount, key)
    except ProviderError as error:
        raise FormInvalid(
            {"": _("The payment service refused the refund: %(reason)s", reason=str(error))}
        ) from None
    if not provider.confirms_refunds_by_webhook:
        # No webhook will come: read its refunds back now, as charge.refunded would.
        apply_refunds(session, provider, settings, donation.provider_payment_id)
    return {"refund_id": refund.id, "refund_status": refund.status, "idempotency_key": key}
