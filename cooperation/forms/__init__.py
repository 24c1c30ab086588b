"""Forms of the portal, one module per section; shared pieces in common.py."""
