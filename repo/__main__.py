"""Command line: `python -m repo demo | bench | migrate | embedded`."""

from __future__ import annotations

import argparse
import asyncio
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m repo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="retain and recall a few hundred memories")
    demo.add_argument("--url", help="database URL (default: the embedded PostgreSQL)")
    demo.add_argument("--items", type=int, default=300)

    sub.add_parser(
        "bench", help="benchmark against the raw driver and alternatives", add_help=False
    )

    mig = sub.add_parser("migrate", help="upgrade a database to the latest schema")
    mig.add_argument("url")
    mig.add_argument("--schema", default="public")
    mig.add_argument("--revision", default="head")
    mig.add_argument("--dim", type=int, help="embedding dimension of a new schema (384)")
    mig.add_argument(
        "--text-search",
        help="full-text configuration of a new schema (english; simple for other languages)",
    )

    emb = sub.add_parser("embedded", help="start the embedded PostgreSQL and print its URL")
    emb.add_argument("action", choices=["start", "stop", "url"])

    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        from repo.bench.cli import main as bench_main

        return int(bench_main(rest))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "demo":
        from repo.demo import run_demo

        return asyncio.run(run_demo(args.url, items=args.items))
    if args.command == "migrate":
        from repo.migrations import migrate_sync

        migrate_sync(
            args.url, schema=args.schema, revision=args.revision, dim=args.dim,
            text_search_config=args.text_search,
        )  # fmt: skip
        print(f"migrated schema {args.schema!r} to {args.revision}")
        return 0
    from repo.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(stop_at_exit=False)
    if args.action == "stop":
        server.stop()
        print("stopped")
    else:
        print(server.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
