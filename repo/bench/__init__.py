"""`python -m repo bench`: memrepo side by side with the raw driver and the alternatives.

Modules: `data` (the deterministic synthetic memory bank), `bank` (load it once through
the library and cache it on the server), `variants` (one recall per library), `recall`
(the interleaved latency runner and EXPLAIN capture), `retain` (bulk-load rates),
`report` (statistics, tables, JSON, plot) and `cli` (the command line).
"""
