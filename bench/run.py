"""`make bench`: the live board's benchmark, bench/fanout.py (see docs/performance.md).

    make bench                               # the target table's rows, once each
    make bench BENCH_ARGS="smoke"            # two minutes, fails on any lost delivery
    make bench BENCH_ARGS="targets --runs 3" # the medians docs/performance.md quotes
    make bench BENCH_ARGS="fanout --viewers 10,100,500 --rates 2,10,20"

It needs PostgreSQL and Redis: DATABASE_URL (the benchmark creates and drops NAME_fanout beside
it) and REDIS_URL, as in the PostgreSQL pass of the tests. The other benchmarks (api.py,
review.py, board_render.py) run on their own: `.venv/bin/python bench/api.py`.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fanout  # noqa: E402


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(
            "make bench needs PostgreSQL and Redis, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/empathymap "
            "REDIS_URL=redis://127.0.0.1:6379/0 make bench",
            file=sys.stderr,
        )
        return 2
    return fanout.main(sys.argv[1:] or ["targets"])


if __name__ == "__main__":
    sys.exit(main())
