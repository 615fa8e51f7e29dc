"""Reference data: territories, precincts, elections, electoral districts, the voter register, the
versioned reference files and their import, and the per-worker reference cache.
May import: the bottom layer (clock, validation, audit, formats, messaging)."""
