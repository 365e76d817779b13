"""``python -m emdesk`` starts the desktop application."""

from emdesk.gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
