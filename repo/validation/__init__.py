"""Input validation by kind of value: `text`, `scalars` (UUIDs, types, numbers, datetimes),
`embeddings`, `json_objects`, `batches` (sequences and models). Every check runs before
any SQL, so bad input writes nothing."""
