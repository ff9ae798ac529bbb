"""Accounts and access: users, roles and permissions, sessions, device tokens, the audit log."""
