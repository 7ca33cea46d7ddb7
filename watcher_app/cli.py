"""Command line entry point (filled in by the core engine)."""


def main(argv: list[str] | None = None) -> int:
    return 0
