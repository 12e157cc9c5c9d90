"""Benchmarks (`make bench`). A package so gunicorn can import bench.settings_bench / bench.minimal_urls."""
