"""One module per benchmark; each defines `BENCHMARK`. The registry in evalkit/data/__init__.py finds them."""
