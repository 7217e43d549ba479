"""A whole class: roster, batch processes, the pool, merging shards, the reference cache."""
