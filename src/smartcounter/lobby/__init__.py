"""The lobby service: branch set-up, tickets, three-round triage, serving, close of day."""
