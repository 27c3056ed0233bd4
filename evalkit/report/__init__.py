"""`evalkit report`: one self-contained HTML file to look at runs problem by problem (offline, no server).

- `source.read_run(path)`: the report's view of a run, built on evalkit.rundir.load_run
- `payload.build(runs)`: the data the page shows (scores, per-problem grid, details, accuracy by length)
- `page.write(payload, path)`: the HTML file, with the data gzip-compressed inside it
"""
