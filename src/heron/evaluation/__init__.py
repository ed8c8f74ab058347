"""The pieces behind ``heron.evaluation.evaluate.evaluate``: suites (what to run) -> runner (worker processes,
backend) -> stats (Wilson intervals, chain metrics) -> report (JSON, markdown, PNG)."""
