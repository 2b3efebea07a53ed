"""The clause parser as a llama-index NodeParser: Documents (raw text + fmt/path/content_hash metadata) → one
TextNode per clause part, with the contextual header embedded and the clause's relations."""
from __future__ import annotations

from typing import Any, Sequence

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, MetadataMode, NodeRelationship, RelatedNodeInfo, TextNode

from index.parser import DEFAULT_MAX_CHARS, ParsedDocument, parse_document, split_clause


class ClauseNodeParser(NodeParser):
    """llama-index NodeParser: Documents (raw text + fmt/path/content_hash metadata) → clause TextNodes."""

    max_chars: int = DEFAULT_MAX_CHARS

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        out: list[BaseNode] = []
        for node in nodes:
            md = node.metadata
            parsed = parse_document(node.get_content(metadata_mode=MetadataMode.NONE), fmt=md.get("fmt", "txt"),
                                    path=md.get("path", node.node_id), content_hash=md.get("content_hash", ""))
            out.extend(clause_nodes(parsed))
        return out


def clause_nodes(parsed: ParsedDocument, max_chars: int = DEFAULT_MAX_CHARS) -> list[TextNode]:
    """TextNodes for a parsed document: the clause's part text, with the contextual header embedded."""
    nodes: list[TextNode] = []
    for clause in parsed.clauses:
        for chunk in split_clause(clause, max_chars):
            md = {"header": clause.header(), **clause.to_json(), "part": chunk.part, "n_parts": chunk.n_parts}
            md["path"] = " / ".join(clause.path)
            md["units"] = "、".join(clause.units)
            md["doc_number"] = clause.doc_number or ""
            hidden = [k for k in md if k != "header"]
            rel = {NodeRelationship.SOURCE: RelatedNodeInfo(node_id=clause.doc_id),
                   NodeRelationship.PARENT: RelatedNodeInfo(node_id=clause.parent_id or clause.doc_id)}
            if clause.prev_id:
                rel[NodeRelationship.PREVIOUS] = RelatedNodeInfo(node_id=clause.prev_id)
            if clause.next_id:
                rel[NodeRelationship.NEXT] = RelatedNodeInfo(node_id=clause.next_id)
            nodes.append(TextNode(
                id_=chunk.chunk_id, text=chunk.text, metadata=md, relationships=rel,
                excluded_embed_metadata_keys=hidden, excluded_llm_metadata_keys=hidden,
                metadata_template="{value}", text_template="{metadata_str}\n{content}",
                start_char_idx=clause.span[0], end_char_idx=clause.span[1],
            ))
    return nodes
