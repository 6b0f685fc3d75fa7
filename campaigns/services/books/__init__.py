"""The books: the ledger and campaign totals, receipts and statements, and the staff
dashboard's figures read from them. Imports only the shared services (sql, audit)."""
