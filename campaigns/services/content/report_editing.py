"""Staff editing of activity reports: text, figures, photos, linked campaigns, publishing.

A draft may hold photos still waiting for their description; a published report may not,
so publishing (and saving a published report) refuses any photo without alt text. On
publishing, every donor who asked for news of a linked campaign gets one e-mail through
the outbox, keyed by report and donor, so publishing again never sends it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from babel.numbers import NumberFormatError, parse_number
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import (
    ActivityReport,
    Campaign,
    Donation,
    DonationStatus,
    ReportFigure,
    ReportImage,
)
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change, record_saved
from campaigns.services.books.ledger import donor_key
from campaigns.services.content.translations import TextRule, Typed, read_translations
from campaigns.services.content.uploads import CleanImage, UploadRefused, clean_image, save_image
from campaigns.services.mail.news import news_headers, unsubscribe_url
from campaigns.services.mail.notifications import queue_message
from campaigns.settings import Settings
from campaigns.text import (
    LONG_TEXT,
    MAX_COUNT,
    check_text,
    column_length,
    parse_int,
    read_date,
    read_slug,
    read_text,
)

# Donors whose gift went through (a partly refunded gift still went through).
GAVE = (DonationStatus.PAID, DonationStatus.PARTIALLY_REFUNDED)

# How each translatable field is read in the other languages (as in its own).
REPORT_TEXTS = {
    "title": TextRule(column_length(ActivityReport.title)),
    "summary": TextRule(column_length(ActivityReport.summary), multiline=True),
    "body": TextRule(LONG_TEXT, multiline=True),
    "place": TextRule(column_length(ActivityReport.place)),
}
FIGURE_TEXTS = {"label": TextRule(column_length(ReportFigure.label))}
IMAGE_TEXTS = {"alt": TextRule(column_length(ReportImage.alt))}


@dataclass
class NewPhoto:
    """An uploaded file and the description typed beside it."""

    file: IO[bytes] | None
    alt: str = ""


@dataclass
class ReportForm:
    """The report form as submitted: raw strings, rows of figures, photo changes."""

    title: str = ""
    slug: str = ""
    summary: str = ""
    body: str = ""
    place: str = ""
    happened_on: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)  # (label, number) rows
    campaign_ids: list[str] = field(default_factory=list)
    image_alts: dict[int, str] = field(default_factory=dict)  # existing photo id -> alt
    remove_images: set[int] = field(default_factory=set)
    new_photos: list[NewPhoto] = field(default_factory=list)
    # The other languages: of the report's text ({"tr": {"title": ...}}), of each figure
    # row's label ([{"tr": "..."}], by row) and of each existing photo's description.
    translations: Typed = field(default_factory=dict)
    figure_labels: list[dict[str, str]] = field(default_factory=list)
    image_alt_translations: dict[int, dict[str, str]] = field(default_factory=dict)


def report_form(report: ActivityReport) -> ReportForm:
    """The form filled with ``report`` as it is."""
    return ReportForm(
        title=report.title,
        slug=report.slug,
        summary=report.summary,
        body=report.body,
        place=report.place,
        happened_on=report.happened_on.isoformat(),
        figures=[(f.label, str(f.value)) for f in report.figures],
        campaign_ids=[str(c.id) for c in report.campaigns],
        image_alts={i.id: i.alt for i in report.images},
        translations=report.translations or {},
        figure_labels=[_texts_of(f, "label") for f in report.figures],
        image_alt_translations={i.id: _texts_of(i, "alt") for i in report.images},
    )


def _texts_of(entity, name: str) -> dict[str, str]:
    """One field's translations, by language: {"tr": "..."}."""
    stored = entity.translations or {}
    return {lang: texts[name] for lang, texts in stored.items() if name in texts}


def _one_field(typed: dict[str, str], name: str) -> dict[str, dict[str, str]]:
    """{"tr": "..."} as read_translations takes it: {"tr": {name: "..."}}."""
    return {lang: {name: text} for lang, text in typed.items()}


def report_snapshot(report: ActivityReport) -> dict:
    """What the audit log keeps of a report, before and after a change."""
    return {
        "slug": report.slug,
        "title": report.title,
        "summary": report.summary,
        "body": report.body,
        "place": report.place,
        "happened_on": report.happened_on.isoformat(),
        "published": report.published,
        "figures": [[f.label, f.value] for f in report.figures],
        "images": [[i.filename, i.alt] for i in report.images],
        "campaigns": sorted(c.slug for c in report.campaigns),
        "translations": report.translations or {},
        "figure_translations": [f.translations or {} for f in report.figures],
        "image_translations": [i.translations or {} for i in report.images],
    }


def photos_missing_alt(report: ActivityReport) -> list[ReportImage]:
    """The report's photos that nobody has described yet."""
    return [image for image in report.images if not image.alt.strip()]


def _figures(
    form: ReportForm, locale: str, languages: tuple[str, ...], errors: dict
) -> list[ReportFigure]:
    figures = []
    for index, (label, number) in enumerate(form.figures):
        name = f"figures-{index}"
        label, number = check_text(label, name, errors).strip(), (number or "").strip()
        if not label and not number:
            continue  # one of the blank rows the form offers
        if name in errors:
            continue
        if not label or not number:
            errors[name] = _("Each figure needs a label and a number.")
        elif len(label) > column_length(ReportFigure.label):
            errors[name] = _(
                "Please shorten the label to %(n)d characters.",
                n=column_length(ReportFigure.label),
            )
        else:
            try:
                value = parse_number(number, locale=locale)
            except NumberFormatError:
                value = -1
            if not 0 <= value <= MAX_COUNT:
                errors[name] = _("Please enter the figure as a whole number, like 1,200.")
            else:
                typed = form.figure_labels[index] if index < len(form.figure_labels) else {}
                translations = read_translations(
                    _one_field(typed, "label"), FIGURE_TEXTS, languages, errors, f"{name}-"
                )
                figures.append(
                    ReportFigure(
                        label=label,
                        value=value,
                        position=len(figures),
                        translations=translations,
                    )
                )
    return figures


def _campaigns(session: Session, ids: list[str], errors: dict) -> list[Campaign]:
    wanted = {parse_int(i) for i in ids} - {None}
    found = list(session.scalars(select(Campaign).where(Campaign.id.in_(wanted))))
    if len(found) != len(set(ids)):
        errors["campaigns"] = _("Please choose among the campaigns listed.")
    return found


def _new_photos(photos: list[NewPhoto], errors: dict) -> list[tuple[CleanImage, str]]:
    cleaned = []
    for index, photo in enumerate(photos):
        name = f"photos-{index}"
        alt = read_text(photo.alt, name, column_length(ReportImage.alt), errors)
        if photo.file is None:
            if alt:
                errors[name] = _("Please choose the photo this description belongs to.")
            continue
        try:
            cleaned.append((clean_image(photo.file), alt))
        except UploadRefused as error:
            errors[name] = str(error)
    return cleaned


def _apply_photos(
    report: ActivityReport,
    form: ReportForm,
    alts: dict[int, str],
    alt_translations: dict[int, dict],
    new: list[tuple[CleanImage, str]],
    folder: str,
) -> list[str]:
    """Update (with the descriptions ``alts`` as read), remove and add photos; returns
    the files no longer used."""
    unused = []
    for image in list(report.images):
        if image.id in form.remove_images:
            report.images.remove(image)
            unused.append(image.filename)
        else:
            if image.id in alts:
                image.alt = alts[image.id]
            if image.id in alt_translations:
                image.translations = alt_translations[image.id]
    position = max((i.position for i in report.images), default=-1) + 1
    for offset, (clean, alt) in enumerate(new):
        name = save_image(clean, folder)
        report.images.append(ReportImage(filename=name, alt=alt, position=position + offset))
    return unused


def _touch(campaigns: list[Campaign]) -> None:
    """A linked report's change changes these campaigns' pages (they list their reports)."""
    for campaign in campaigns:
        campaign.touch()


def save_report(
    session: Session,
    form: ReportForm,
    *,
    locale: str,
    actor: Actor,
    folder: str,
    report: ActivityReport | None = None,
    languages: tuple[str, ...] = (),
) -> tuple[ActivityReport, list[str]]:
    """Create a report (a draft) or change one, with its text in ``languages`` (the others
    than the source language); raise FormInvalid with a message per field, changing
    nothing. Returns the report and the stored files it no longer uses (removed photos),
    for the caller to discard once the change is committed."""
    errors: dict[str, str] = {}
    values = {
        "title": read_text(
            form.title, "title", column_length(ActivityReport.title), errors, required=True
        ),
        "slug": read_slug(form.slug, "slug", column_length(ActivityReport.slug), errors),
        "summary": read_text(
            form.summary, "summary", column_length(ActivityReport.summary), errors, multiline=True
        ),
        "body": read_text(form.body, "body", LONG_TEXT, errors, multiline=True),
        "place": read_text(form.place, "place", column_length(ActivityReport.place), errors),
        "happened_on": read_date(form.happened_on, "happened_on", errors, required=True),
        "translations": read_translations(form.translations, REPORT_TEXTS, languages, errors),
    }
    taken = select(ActivityReport.id).where(ActivityReport.slug == values["slug"])
    if report is not None:
        taken = taken.where(ActivityReport.id != report.id)
    if "slug" not in errors and session.scalar(taken) is not None:
        errors["slug"] = _("Another report already uses this address.")
    alts = {
        image_id: read_text(alt, f"image-{image_id}", column_length(ReportImage.alt), errors)
        for image_id, alt in form.image_alts.items()
    }
    alt_translations = {
        image_id: read_translations(
            _one_field(typed, "alt"), IMAGE_TEXTS, languages, errors, f"image-{image_id}-"
        )
        for image_id, typed in form.image_alt_translations.items()
    }
    figures = _figures(form, locale, languages, errors)
    campaigns = _campaigns(session, form.campaign_ids, errors)
    new_photos = _new_photos(form.new_photos, errors)
    if report is not None and report.published:
        kept = [
            alts.get(image.id, image.alt)
            for image in report.images
            if image.id not in form.remove_images
        ] + [alt for _clean, alt in new_photos]
        if not all(alt.strip() for alt in kept):
            errors[""] = _("A published report needs a description (alt text) for every photo.")
    if errors:
        raise FormInvalid(errors)
    before = report_snapshot(report) if report is not None else None
    if report is None:
        report = ActivityReport(published=False, **values)
        session.add(report)
    else:
        for name, value in values.items():
            setattr(report, name, value)
        _touch(report.campaigns)  # the campaigns it leaves
    report.figures = figures
    report.campaigns = campaigns
    _touch(campaigns)
    unused = _apply_photos(report, form, alts, alt_translations, new_photos, folder)
    session.flush()
    after = report_snapshot(report)
    record_saved(session, report, "report", before, after, actor=actor)
    return report, unused


def publish_report(
    session: Session, settings: Settings, report: ActivityReport, *, actor: Actor
) -> int:
    """Publish ``report`` and e-mail the opted-in donors of its campaigns; returns how many
    e-mails were queued (none to anyone who already had this report's)."""
    missing = photos_missing_alt(report)
    if missing:
        raise FormInvalid(
            {
                "": _(
                    "Please describe every photo (alt text) before publishing: "
                    "%(n)d still have none.",
                    n=len(missing),
                )
            }
        )
    before = report_snapshot(report)
    report.published = True
    _touch(report.campaigns)
    record_change(
        session,
        actor=actor,
        action="report.publish",
        entity_type="activity_report",
        entity_id=report.id,
        before=before,
        after=report_snapshot(report),
    )
    return _notify_donors(session, settings, report)


def unpublish_report(session: Session, report: ActivityReport, *, actor: Actor) -> None:
    """Take ``report`` off the public site (it stays as a draft)."""
    before = report_snapshot(report)
    report.published = False
    _touch(report.campaigns)
    record_change(
        session,
        actor=actor,
        action="report.unpublish",
        entity_type="activity_report",
        entity_id=report.id,
        before=before,
        after=report_snapshot(report),
    )


def _subscribers(session: Session, report: ActivityReport) -> dict[str, tuple[str, str, int]]:
    """Donor key -> (e-mail, language, gift id) of each donor who asked for news of one of
    the report's campaigns, with the e-mail, language and id of their latest such gift."""
    campaign_ids = [c.id for c in report.campaigns]
    if not campaign_ids:
        return {}
    rows = session.execute(
        select(Donation.donor_email, Donation.locale, Donation.id)
        .where(
            Donation.campaign_id.in_(campaign_ids),
            Donation.updates_opt_in,
            Donation.status.in_(GAVE),
            Donation.donor_email != "",
        )
        .order_by(Donation.created_at.desc(), Donation.id.desc())
    )
    donors: dict[str, tuple[str, str, int]] = {}
    for email, locale, donation_id in rows:
        donors.setdefault(donor_key(email), (email, locale, donation_id))
    return donors


def _notify_donors(session: Session, settings: Settings, report: ActivityReport) -> int:
    """Queue the report's e-mail to each subscriber, each with its own unsubscribe link."""
    queued = 0
    report_url = settings.absolute_url("public.report", slug=report.slug)
    for key, (email, locale, donation_id) in _subscribers(session, report).items():
        stop_url = unsubscribe_url(settings, donation_id)
        context = {"report": report, "report_url": report_url, "unsubscribe_url": stop_url}
        title = report.localized("title", locale, settings.content_language)
        with force_locale(locale):
            message = queue_message(
                session,
                key=f"report:{report.id}:{key}",
                to=email,
                subject=_("New from the field: %(title)s", title=title),
                body_text=render_template("email/report_published.txt", **context),
                body_html=render_template("email/report_published.html", **context),
                headers=news_headers(stop_url),
            )
        queued += message is not None
    return queued
