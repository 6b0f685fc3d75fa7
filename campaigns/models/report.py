"""The charity's activity reports from the field, with figures and photos."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, utcnow
from campaigns.models.campaign import Campaign
from campaigns.models.translatable import Translatable

report_campaign = Table(
    "report_campaign",
    db.metadata,
    Column("report_id", ForeignKey("activity_report.id"), primary_key=True),
    Column("campaign_id", ForeignKey("campaign.id"), primary_key=True),
)


class ActivityReport(Translatable, db.Model):
    """What the money did ("hot meals for 1,200 families in al-Bab"), linked to campaigns."""

    __tablename__ = "activity_report"
    TRANSLATED = ("title", "summary", "body", "place")

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    happened_on: Mapped[date] = mapped_column(Date, index=True)
    published: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    figures: Mapped[list[ReportFigure]] = relationship(
        back_populates="report", order_by="ReportFigure.position", cascade="all, delete-orphan"
    )
    images: Mapped[list[ReportImage]] = relationship(
        back_populates="report", order_by="ReportImage.position", cascade="all, delete-orphan"
    )
    campaigns: Mapped[list[Campaign]] = relationship(secondary=report_campaign)


class ReportFigure(Translatable, db.Model):
    """A number a report stands behind: label and value (families reached: 1,200)."""

    __tablename__ = "report_figure"
    TRANSLATED = ("label",)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("activity_report.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    value: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    report: Mapped[ActivityReport] = relationship(back_populates="figures")


class ReportImage(Translatable, db.Model):
    """A photo of a report, stored under instance/uploads with a random file name."""

    __tablename__ = "report_image"
    TRANSLATED = ("alt",)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("activity_report.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    alt: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)

    report: Mapped[ActivityReport] = relationship(back_populates="images")
