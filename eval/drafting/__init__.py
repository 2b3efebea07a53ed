"""Gold tables and checker for the drafting tools (对照 / 按单位 / 指标); run with `python -m eval drafting`."""
