"""`evalkit report`: one self-contained HTML file to look at runs problem by problem (offline, no server).

- `source.read_run(path)`: the only place that reads a run (repoint it at evalkit/rundir when it lands)
- `payload.build(runs)`: the data the page shows (scores, per-problem grid, details, accuracy by length)
- `page.write(payload, path)`: the HTML file, with the data gzip-compressed inside it
"""
