"""The Textual terminal UI: a thin app over screens, built by ``make_app``."""
