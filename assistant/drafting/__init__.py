"""起草助手: drafting tools over the clause store — side by side (对照), tasks by unit (按单位), targets (指标) —
with .xlsx/.docx/TSV export. Deterministic: no model is needed, every row points to its clause."""
