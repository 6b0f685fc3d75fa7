"""Forms of the donor pages: parsed and CSRF-checked here, read by the service
(``services.giving.donors``), as every form is (``campaigns.forms``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField

from campaigns.models import Donation
from campaigns.text import column_length


class SignInForm(FlaskForm):
    """The e-mail address a donor gave with (``donors.SignInLinkForm``)."""

    email = EmailField(
        _l("Your e-mail address"),
        render_kw={"maxlength": column_length(Donation.donor_email)},
    )
