"""Forms of the donor pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from campaigns.models import Donation
from campaigns.text import OneLine, column_length


class SignInForm(FlaskForm):
    """The e-mail address a donor gave with."""

    email = EmailField(
        _l("Your e-mail address"),
        validators=[
            DataRequired(_l("Please enter your e-mail address.")),
            OneLine(),
            Email(_l("Please enter an e-mail address such as name@example.org.")),
            Length(max=column_length(Donation.donor_email)),
        ],
    )
