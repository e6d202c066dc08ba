"""AST → IR: layer terms (lower.py) built into a DAG of layer nodes (graph.py)."""
