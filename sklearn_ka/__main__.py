"""``python -m sklearn_ka``: see :mod:`sklearn_ka.cli`."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
