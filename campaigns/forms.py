"""Forms shared by several blueprints."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """CSRF protection for POST-only buttons (Pay, Cancel, Sign out)."""
