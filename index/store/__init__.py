"""The storage half of index/: where clauses live and how they are found again.

`clause_index` is the one object the rest of the product uses (documents in, clauses and hits out). Beside it:
the clause store and lexical index (one SQLite file), document names, Chroma for vectors, the bge embedder,
rank fusion, and the FlagEmbedding import shim. Parsing (loaders, structure, markers, metadata) lives in index/.
"""
