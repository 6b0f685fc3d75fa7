"""Staff accounts and signing in: passwords, lock-out codes, two-step sign-in, the keys
derived from SECRET_KEY. Imports mail (codes are e-mailed) and the shared services."""
