"""The bounded load run (python -m bench.load); figures in deploy/README.md."""
