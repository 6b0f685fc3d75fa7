"""E-mail: what is written to donors and staff (notifications) and the outbox that
delivers it. Imports books (receipts attach to thank-you e-mails) and the shared services."""
