"""ISO 20022 camt.053 (bank to customer statement) XML, any version (.001.02 to .001.13).

Parsed with lxml with everything risky off: no DTD is loaded and a file that declares
one is refused (no entity expansion, no billion laughs), no network, no huge trees.
Each credit entry (``Ntry`` with ``CdtDbtInd`` CRDT) becomes a line: its amount and
currency, booking date, the bank's reference (``AcctSvcrRef``), the unstructured
remittance text (``RmtInf/Ustrd``) and the debtor's name.
"""

from __future__ import annotations

from flask_babel import gettext as _
from lxml import etree

from campaigns.statements import Statement, StatementError, StatementLine
from campaigns.statements.amounts import date_of, decimal_of, minor_units

PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _find(element, *path: str):
    """The first descendant along ``path`` of local names (namespaces vary by version)."""
    current = [element]
    for name in path:
        current = [c for e in current for c in e if _local(c) == name]
        if not current:
            return None
    return current[0]


def _text(element, *path: str) -> str:
    found = _find(element, *path)
    return " ".join((found.text or "").split()) if found is not None else ""


def _entry(entry) -> StatementLine | None:
    n = entry.sourceline
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError(n, _("an entry needs CdtDbtInd CRDT or DBIT"))
    if indicator == "DBIT" or _text(entry, "RvslInd") == "true":
        return None
    amount = _find(entry, "Amt")
    if amount is None or not amount.get("Ccy"):
        raise StatementError(n, _("an entry needs an amount with its currency (Amt Ccy)"))
    booked = _text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm")
    try:
        value = decimal_of(amount.text or "")
        if "," in (amount.text or "") or value <= 0:
            raise ValueError(_("%(text)s is not an amount", text=repr(amount.text)))
        minor = minor_units(value, amount.get("Ccy"))
        booked_on = date_of(booked)
    except ValueError as error:
        raise StatementError(amount.sourceline or n, str(error)) from error
    details = _find(entry, "NtryDtls", "TxDtls")
    scope = details if details is not None else entry
    remittance = [
        " ".join((u.text or "").split()) for u in scope.iter() if _local(u) == "Ustrd" and u.text
    ]
    additional = _text(entry, "AddtlNtryInf")
    return StatementLine(
        booked_on=booked_on,
        amount=minor,
        currency=amount.get("Ccy"),
        description=" ".join([*remittance, additional]).strip(),
        sender=_text(scope, "RltdPties", "Dbtr", "Nm")
        or _text(scope, "RltdPties", "Dbtr", "Pty", "Nm"),
        bank_reference=_text(entry, "AcctSvcrRef") or _text(scope, "Refs", "AcctSvcrRef"),
        line=n,
    )


def read(data: bytes) -> Statement:
    parser = etree.XMLParser(**PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else None
        raise StatementError(line, _("not well-formed XML (%(e)s)", e=error.msg)) from error
    if root.getroottree().docinfo.doctype:
        raise StatementError(1, _("a statement must not declare a DTD"))
    if _local(root) != "Document" or _find(root, "BkToCstmrStmt") is None:
        raise StatementError(root.sourceline, _("not a camt.053 statement (BkToCstmrStmt)"))
    lines: list[StatementLine] = []
    account = ""
    for statement in _find(root, "BkToCstmrStmt"):
        if _local(statement) != "Stmt":
            continue
        account = account or _text(statement, "Acct", "Id", "IBAN")
        for entry in statement:
            if _local(entry) == "Ntry" and (line := _entry(entry)) is not None:
                lines.append(line)
    return Statement("camt.053", account, lines)
