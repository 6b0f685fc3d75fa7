"""Typed SQLAlchemy models. They hold invariants; services commit nothing and models neither."""

from campaigns.models.audit import AuditEntry
from campaigns.models.bank import BankCsvFormat, BankLine, LineProblem, LineStatus
from campaigns.models.campaign import Campaign, CampaignDonor, CampaignTotals, DonationOption
from campaigns.models.donation import Donation, DonationStatus
from campaigns.models.fulfilment import Animal, Delivery, ShareAssignment
from campaigns.models.ledger import LedgerEntry, LedgerKind
from campaigns.models.outbox import OutboxMessage
from campaigns.models.page import Page
from campaigns.models.provider_event import ProviderEvent
from campaigns.models.receipt import Receipt, ReceiptCounter
from campaigns.models.report import ActivityReport, ReportFigure, ReportImage
from campaigns.models.staff import RecoveryCode, StaffUser

__all__ = [
    "ActivityReport",
    "Animal",
    "AuditEntry",
    "BankCsvFormat",
    "BankLine",
    "Campaign",
    "CampaignDonor",
    "CampaignTotals",
    "Delivery",
    "Donation",
    "DonationOption",
    "DonationStatus",
    "LedgerEntry",
    "LedgerKind",
    "LineProblem",
    "LineStatus",
    "OutboxMessage",
    "Page",
    "ProviderEvent",
    "Receipt",
    "ReceiptCounter",
    "RecoveryCode",
    "ReportFigure",
    "ReportImage",
    "ShareAssignment",
    "StaffUser",
]
