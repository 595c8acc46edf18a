"""Command line: ``python -m fairrep demo``."""

from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fairrep",
                                     description="fairrep command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="Adversarial Forgetting on Adult (s = sex) vs a plain "
                                       "network: A_y, A_s, majority share, DP gap")
    demo.add_argument("--max-epochs", type=int, default=30)
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--device", default="cpu")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .benchmark import run_demo

        run_demo(max_epochs=args.max_epochs, random_state=args.random_state,
                 verbose=0 if args.quiet else 1, device=args.device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
