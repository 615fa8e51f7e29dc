"""A synthetic voter register for the identification benchmark: N voters in one INSERT ... SELECT
over a generated series, spread over the country's precincts (kind `station`, services/country.py).
Not part of `make run`.

    python -m benchmarks.register --voters 1000000   # on REFLEX_DB_URL

Voter i (1-based): born `1940-01-01 + (i mod 25000)` days (everyone is 18 by 2009), sex from
`(i div 25000) mod 2`, PIN = sex digit + DDMMYYYY + serial `50000 + i div 50000` (unique per i,
valid by services/validation.py), document `BM` + i in 7 digits, home precinct the station
`i mod stations`. `voter(i)` gives the same PIN and document in Python, for the load generator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import sqlalchemy as sa

from remote_vote_app.db import get_engine

BORN_FROM = dt.date(1940, 1, 1)
DAYS = 25000


def voter(i: int) -> tuple[str, str]:
    """PIN and document number of synthetic voter i."""
    born = BORN_FROM + dt.timedelta(days=i % DAYS)
    sex = 1 + (i // DAYS) % 2
    return f"{sex}{born:%d%m%Y}{50000 + i // (2 * DAYS):05d}", f"BM{i:07d}"


_SELECT = {
    "postgresql": """
        INSERT INTO voter (pin, document_number, last_name, first_name, patronymic, birth_date, address_ru,
                           address_ky, address_en, territory_id, home_precinct_id, phone)
        SELECT (1 + (g / {days}) % 2)::text || to_char(DATE '1940-01-01' + g % {days}, 'DDMMYYYY')
                   || lpad((50000 + g / {pair})::text, 5, '0'),
               'BM' || lpad(g::text, 7, '0'), 'Синтетический', 'Избиратель', '',
               DATE '1940-01-01' + g % {days}, 'ул. Тестовая, ' || (g % 200 + 1), '', '',
               p.territory_id, p.id, '+996700' || lpad((g % 1000000)::text, 6, '0')
        FROM generate_series(:first, :last) AS g JOIN bench_station AS p ON p.n = g % :stations
        ON CONFLICT DO NOTHING""",
    "sqlite": """
        WITH RECURSIVE s(g) AS (SELECT :first UNION ALL SELECT g + 1 FROM s WHERE g < :last)
        INSERT OR IGNORE INTO voter (pin, document_number, last_name, first_name, patronymic, birth_date, address_ru,
                                     address_ky, address_en, territory_id, home_precinct_id, phone)
        SELECT (1 + (g / {days}) % 2) || strftime('%d%m%Y', date('1940-01-01', '+' || (g % {days}) || ' days'))
                   || substr('00000' || (50000 + g / {pair}), -5),
               'BM' || substr('0000000' || g, -7), 'Синтетический', 'Избиратель', '',
               date('1940-01-01', '+' || (g % {days}) || ' days'), 'ул. Тестовая, ' || (g % 200 + 1), '', '',
               p.territory_id, p.id, '+996700' || substr('000000' || (g % 1000000), -6)
        FROM s JOIN bench_station AS p ON p.n = s.g % :stations""",
}
CHUNK = 200_000


def generate(count: int, url: str | None = None, first: int = 1) -> float:
    """Insert voters first..first+count-1; returns the seconds it took."""
    engine = get_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        stations = conn.execute(sa.text("SELECT COUNT(*) FROM precinct WHERE kind = 'station'")).scalar()
        if not stations:
            raise SystemExit("no country precincts: seed the demo data first (make run, or cli seed)")
        # The stations numbered 0..n-1 under a primary key: each voter's home is one index lookup.
        conn.execute(sa.text("CREATE TEMPORARY TABLE bench_station (n INTEGER PRIMARY KEY, id INTEGER, territory_id INTEGER)"))
        conn.execute(sa.text("INSERT INTO bench_station SELECT row_number() OVER (ORDER BY id) - 1, id, territory_id "
                             "FROM precinct WHERE kind = 'station'"))
        sql = sa.text(_SELECT[conn.dialect.name].format(days=DAYS, pair=2 * DAYS))
        for start in range(first, first + count, CHUNK):
            conn.execute(sql, {"first": start, "last": min(start + CHUNK, first + count) - 1, "stations": stations})
        conn.execute(sa.text("DROP TABLE bench_station"))
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE voter"))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"{args.voters} synthetic voters in {generate(args.voters):.1f} s")


if __name__ == "__main__":
    main()
