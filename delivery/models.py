"""Contacts, consent, decisions and sends (built in the delivery issue)."""
