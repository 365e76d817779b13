"""emdesk.engine (see docs/INTERFACES.md)."""
