from campaigns.extensions import db
from campaigns.services.receipts import live_receipt
from tests.receipting import paid_donation, pdf_of, pdf_text

def test_probe(app_ctx, make_campaign):
    d = paid_donation(make_campaign(currency="TRY"), amount=1250_50, locale="ar")
    t = pdf_text(pdf_of(live_receipt(db.session, d)))
    print(repr(t))
    assert "فقط ألف ومئتان وخمسون ليرة تركية وخمسون قرشًا لا غير" in t
