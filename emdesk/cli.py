"""The emdesk-fit command (see docs/INTERFACES.md)."""


def main(argv=None) -> int:
    raise SystemExit("emdesk-fit: not built yet")
