"""A synthetic voter register for the identification benchmark: N voters computed by the database
itself (one INSERT ... SELECT over a generated series), spread over the country's precincts (kind
`station`, from the reference file data/reference/districts.json). Not part of `make run`.

    python -m benchmarks.register --voters 1000000   # on REFLEX_DB_URL

Voter i (1-based): born `1940-01-01 + (i mod 25000)` days (everyone is 18 by 2009), sex from
`(i div 25000) mod 2`, PIN = sex digit + DDMMYYYY + serial `50000 + i div 50000` (unique per i,
valid by services/validation.py), document `BM` + i in 7 digits, home precinct the station
`i mod stations`. `voter(i)` gives the same PIN and document in Python, for the load generator.
A PIN already on the register (a demo voter's) is skipped, so the run never fails on one.

Bulk load: the voter table's secondary indexes, unique and foreign-key constraints are dropped for
the insert and rebuilt after it, in the same transaction (a failure leaves the table as it was):
building an index once over sorted keys costs a fraction of a million random index inserts and
two million per-row foreign-key checks. Nothing may use the table meanwhile (the benchmark loads
the register before the server starts).
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


_COLUMNS = ("pin, document_number, last_name, first_name, patronymic, birth_date, address_ru, address_ky, "
            "address_en, territory_id, home_precinct_id, phone")
_SELECT = {
    "postgresql": f"""
        INSERT INTO voter ({_COLUMNS})
        SELECT pin, 'BM' || lpad(g::text, 7, '0'), 'Синтетический', 'Избиратель', '', born,
               'ул. Тестовая, ' || (g % 200 + 1), '', '', p.territory_id, p.id,
               '+996700' || lpad((g % 1000000)::text, 6, '0')
        FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
        JOIN bench_station AS p ON p.n = g % :stations
        CROSS JOIN LATERAL (SELECT DATE '1940-01-01' + g % {DAYS} AS born) AS b
        CROSS JOIN LATERAL (SELECT (1 + (g / {DAYS}) % 2)::text || to_char(b.born, 'DDMMYYYY')
                                   || lpad((50000 + g / {2 * DAYS})::text, 5, '0') AS pin) AS k
        WHERE NOT EXISTS (SELECT 1 FROM bench_taken AS t WHERE t.pin = k.pin)""",
    "sqlite": f"""
        WITH RECURSIVE s(g) AS (SELECT :first UNION ALL SELECT g + 1 FROM s WHERE g < :last),
             b(g, born) AS (SELECT g, date('1940-01-01', '+' || (g % {DAYS}) || ' days') FROM s),
             k(g, born, pin) AS (SELECT g, born, (1 + (g / {DAYS}) % 2)
                                    || substr(born, 9, 2) || substr(born, 6, 2) || substr(born, 1, 4)
                                    || (50000 + g / {2 * DAYS}) FROM b)
        INSERT INTO voter ({_COLUMNS})
        SELECT pin, 'BM' || substr('0000000' || g, -7), 'Синтетический', 'Избиратель', '', born,
               'ул. Тестовая, ' || (g % 200 + 1), '', '', p.territory_id, p.id,
               '+996700' || substr('000000' || (g % 1000000), -6)
        FROM k JOIN bench_station AS p ON p.n = k.g % :stations
        WHERE NOT EXISTS (SELECT 1 FROM bench_taken AS t WHERE t.pin = k.pin)""",
}


def _postgres_constraints(conn) -> tuple[list[str], list[str]]:
    """DROP and re-CREATE statements for the voter table's secondary indexes, unique and
    foreign-key constraints (read from the catalogue, so a migration's new index is kept too)."""
    drop, create = [], []
    for name, definition in conn.execute(sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'voter'::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname")):
        drop.append(f'ALTER TABLE voter DROP CONSTRAINT "{name}"')
        create.append(f'ALTER TABLE voter ADD CONSTRAINT "{name}" {definition}')
    for name, definition in conn.execute(sa.text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = 'voter'::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname")):
        drop.append(f'DROP INDEX "{name}"')
        create.insert(0, definition)  # indexes first: the foreign keys' checks come last
    return drop, create


def _sqlite_indexes(conn) -> tuple[list[str], list[str]]:
    """The voter table's own CREATE INDEX statements (constraint indexes of the CREATE TABLE stay)."""
    rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'voter' "
                                "AND sql IS NOT NULL ORDER BY name")).all()
    return [f'DROP INDEX "{name}"' for name, _ in rows], [sql for _, sql in rows]


def generate(count: int, url: str | None = None, first: int = 1, steps: dict[str, float] | None = None) -> float:
    """Insert voters first..first+count-1 in one transaction; returns the seconds it took (and the
    seconds of each step in `steps`, when given)."""
    engine = get_engine(url)
    started = time.perf_counter()
    steps = {} if steps is None else steps
    mark = [started]

    def step(name: str) -> None:
        now = time.perf_counter()
        steps[name] = now - mark[0]
        mark[0] = now

    with engine.begin() as conn:
        dialect = conn.dialect.name
        stations = conn.execute(sa.text("SELECT COUNT(*) FROM precinct WHERE kind = 'station'")).scalar()
        if not stations:
            raise SystemExit("no country precincts: seed the demo data first (make run, or cli seed)")
        # The stations numbered 0..n-1 under a primary key: each voter's home is one index lookup.
        conn.execute(sa.text("CREATE TEMPORARY TABLE bench_station (n INTEGER PRIMARY KEY, id INTEGER, territory_id INTEGER)"))
        conn.execute(sa.text("INSERT INTO bench_station SELECT row_number() OVER (ORDER BY id) - 1, id, territory_id "
                             "FROM precinct WHERE kind = 'station'"))
        # The PINs already taken, read once before the insert (the new rows cannot collide: one PIN per i).
        conn.execute(sa.text("CREATE TEMPORARY TABLE bench_taken (pin VARCHAR(14) PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO bench_taken SELECT pin FROM voter"))
        conn.execute(sa.text("ANALYZE bench_taken"))
        if dialect == "postgresql":
            conn.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
            drop, create = _postgres_constraints(conn)
        else:
            drop, create = _sqlite_indexes(conn)
        for statement in drop:
            conn.execute(sa.text(statement))
        step("prepare")
        conn.execute(sa.text(_SELECT[dialect]), {"first": first, "last": first + count - 1, "stations": stations})
        step("insert")
        for statement in create:
            conn.execute(sa.text(statement))
        step("indexes and constraints")
        conn.execute(sa.text("DROP TABLE bench_station"))
        conn.execute(sa.text("DROP TABLE bench_taken"))
    step("commit")
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE voter"))
    step("analyze")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument("--first", type=int, default=1, help="number of the first synthetic voter (default 1)")
    args = parser.parse_args()
    steps: dict[str, float] = {}
    seconds = generate(args.voters, first=args.first, steps=steps)
    print(f"{args.voters} synthetic voters in {seconds:.1f} s ("
          + ", ".join(f"{name} {value:.1f} s" for name, value in steps.items()) + ")")


if __name__ == "__main__":
    main()
