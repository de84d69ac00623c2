"""The user's admin is registered in audit/admin.py: its changes need a reason and go into the audit trail,
and accounts, at the bottom of the app ladder, cannot import the audit."""
