"""``python -m sklearn_ka``: the command line of :mod:`sklearn_ka.cli`.

The installed ``sklearn-ka`` console script calls :func:`main` directly (program name
``sklearn-ka``); run as a module, the usage line reads ``python -m sklearn_ka``.
"""

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main(prog="python -m sklearn_ka"))
