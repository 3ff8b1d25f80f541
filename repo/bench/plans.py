"""Reading PostgreSQL's JSON plans of the recall statements: each arm's indexes, whether
each inline exact search ran, every scan node."""

from __future__ import annotations

import json
from typing import Any

from repo.bench.bank import TEXT_INDEX
from schema.tables import FACT_TYPES, VECTOR_INDEXES


def load_json(raw: Any) -> list[dict[str, Any]]:
    """EXPLAIN (FORMAT JSON)'s value, as asyncpg returns it (text or decoded)."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return list(value)


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A plan node and every node under it."""
    out = [node]
    for child in node.get("Plans", []):
        out.extend(walk(child))
    return out


def _text_of(node: dict[str, Any]) -> str:
    keys = ("Filter", "Index Cond", "Recheck Cond", "Order By", "Sort Key", "Alias", "Output")
    return " ".join(str(node.get(k, "")) for k in keys)


def _fact_type_of(text: str) -> str:
    """The fact type a semantic arm's plan text names: its filter (`'world'`), its arm
    label (`semantic:world`, with VERBOSE) or its subquery (`s_world`); a partial index's
    plan drops the filter it implies."""
    for ft in FACT_TYPES:
        if f"'{ft}'" in text or f"semantic:{ft}" in text or f"s_{ft}" in text.split():
            return ft
    return "?"


def _gated(node: dict[str, Any]) -> str | None:
    """For a branch of an arm with its exact search inline (a one-time filter on the
    index path's row count): `semantic` (count >= k) or `exact` (count < k)."""
    gate = str(node.get("One-Time Filter", ""))
    if ">=" in gate:
        return "semantic"
    return "exact" if "<" in gate else None


def _label(child: dict[str, Any], text: str) -> str:
    name = str(child.get("Subplan Name", ""))
    if name == "CTE t_entry" or "tstzrange" in text or "t_entry" in text:
        return "temporal"  # the temporal arm's window (its CTE), hits and spread
    if name.startswith("CTE "):  # an index path's top-k, `s_<fact type>`
        cte = name[4:]
        return f"semantic:{cte[2:]}" if cte[2:] in FACT_TYPES and cte[:2] == "s_" else name
    branch = _gated(child)
    if branch is not None:
        return f"{branch}:{_fact_type_of(text)}"
    if "<=>" in text:
        return f"semantic:{_fact_type_of(text)}"
    if "@@" in text:
        return "text"
    return str(child.get("Alias", child.get("Node Type")))


def members(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The branches of a UNION ALL plan (an Append, under a Sort or Limit if ordered) and
    the CTEs they read; a plan without an Append is one branch."""
    if node.get("Node Type") == "Append":
        return list(node.get("Plans", []))
    if node.get("Node Type") not in ("Sort", "Limit"):
        return [node]
    out: list[dict[str, Any]] = []
    for child in node.get("Plans", []):
        init = child.get("Parent Relationship") == "InitPlan"
        out.extend([child] if init else members(child))
    return out


def arm_indexes(plan: dict[str, Any]) -> dict[str, list[str]]:
    """For the arms statement's plan: each arm (`semantic:<fact type>`, `text`; an inline
    exact search as `exact:<fact type>`) and the indexes its subtree scans."""
    out: dict[str, set[str]] = {}
    for child in members(plan["Plan"]):
        nodes = walk(child)
        text = " ".join(_text_of(n) for n in nodes)
        indexes = {str(n["Index Name"]) for n in nodes if "Index Name" in n}
        out.setdefault(_label(child, text), set()).update(indexes)
    return {label: sorted(indexes) for label, indexes in out.items()}


def exact_runs(plan: dict[str, Any]) -> dict[str, bool]:
    """For an EXPLAIN ANALYZE of the arms statement: per fact type, whether its inline
    exact search ran (False: "never executed", the index path held k rows)."""
    out: dict[str, bool] = {}
    for child in members(plan["Plan"]):
        if _gated(child) != "exact":
            continue
        gated = [c for c in child.get("Plans", []) if c.get("Parent Relationship") != "InitPlan"]
        nodes = [n for c in gated for n in walk(c)]
        if nodes and all("Actual Loops" in n for n in nodes):
            text = " ".join(_text_of(n) for n in walk(child))
            out[_fact_type_of(text)] = any(float(n["Actual Loops"]) > 0 for n in nodes)
    return out


def scans(plan: dict[str, Any]) -> list[str]:
    """Every scan node of a plan: `<node type> <relation> [using <index>]`."""
    out = []
    for n in walk(plan["Plan"]):
        if "Scan" in str(n.get("Node Type", "")):
            rel = n.get("Relation Name", n.get("Alias", ""))
            idx = f" using {n['Index Name']}" if "Index Name" in n else ""
            out.append(f"{n['Node Type']} {rel}{idx}".strip())
    return out


def index_findings(explain: dict[str, Any]) -> dict[str, bool]:
    """Whether every semantic arm scans its fact type's HNSW index and the text arm the
    GIN index, in the plan for the query's values and in the steady (cached) plan."""
    out: dict[str, bool] = {}
    for key, prefix in (("arm_indexes", ""), ("steady_arm_indexes", "steady_")):
        arms = explain.get("recall.arms", {}).get(key, {})
        semantic = {k[9:]: v for k, v in arms.items() if k.startswith("semantic:")}
        out[f"{prefix}semantic_arms_use_hnsw"] = bool(semantic) and all(
            VECTOR_INDEXES.get(ft) in v for ft, v in semantic.items()
        )
        out[f"{prefix}text_arm_uses_gin"] = TEXT_INDEX in arms.get("text", [])
    return out
