"""Hijri (Umm al-Qura) dates in the reader's language, printed beside Gregorian ones:
donors plan gifts around Ramadan and Eid. Pages use the ``hijri`` filter, receipts call
``hijri_date`` with the donation's locale."""

from __future__ import annotations

from datetime import date

from babel import Locale
from hijridate import Gregorian

# The Hijri (Umm al-Qura) months as each language writes them; Babel's CLDR data has an
# Islamic calendar only for some locales, so the site keeps its own three lists.
HIJRI_MONTHS = {
    "en": (
        "Muharram", "Safar", "Rabi’ al-Awwal", "Rabi’ al-Thani", "Jumada al-Ula",
        "Jumada al-Akhirah", "Rajab", "Sha’ban", "Ramadan", "Shawwal", "Dhu al-Qa’dah",
        "Dhu al-Hijjah",
    ),
    "tr": (
        "Muharrem", "Safer", "Rebiülevvel", "Rebiülahir", "Cemaziyelevvel", "Cemaziyelahir",
        "Recep", "Şaban", "Ramazan", "Şevval", "Zilkade", "Zilhicce",
    ),
    "ar": (
        "محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة", "رجب",
        "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة",
    ),
}  # fmt: skip
# Arabic marks the year with هـ (hijri); English and Turkish readers know it from the month.
HIJRI_FORMATS = {
    "en": "{day} {month} {year}",
    "tr": "{day} {month} {year}",
    "ar": "{day} {month} {year} هـ",
}


def hijri_date(day: date, locale: str) -> str | None:
    """``day`` in the Hijri calendar in ``locale``'s language ("10 Dhu al-Hijjah 1447"),
    or None outside the Umm al-Qura tables (1343-1500 AH, about 1924-2077)."""
    try:
        h = Gregorian.fromdate(day).to_hijri()
    except OverflowError:
        return None
    language = Locale.parse(locale).language
    language = language if language in HIJRI_MONTHS else "en"
    return HIJRI_FORMATS[language].format(
        day=h.day, month=HIJRI_MONTHS[language][h.month - 1], year=h.year
    )
