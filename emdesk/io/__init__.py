"""emdesk.io (see docs/INTERFACES.md)."""
