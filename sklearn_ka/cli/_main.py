"""Argument parsing for ``python -m sklearn_ka``."""

from __future__ import annotations

import argparse


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sklearn_ka", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train xor, linear and random at m=32 (paper protocol) and print a table")
    demo.add_argument("--hidden-units", type=int, default=32)
    demo.add_argument("--n-samples", type=int, default=1000)
    demo.add_argument("--max-epochs", type=int, default=10000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--no-analysis", action="store_true", help="skip the KA observables")
    from ._reproduce import add_parser

    add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(hidden_units=args.hidden_units, n_samples=args.n_samples, max_epochs=args.max_epochs,
                 seed=args.seed, analysis=not args.no_analysis)
    elif args.command == "reproduce":
        from ._reproduce import run

        return run(args)
    return 0
