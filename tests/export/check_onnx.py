"""Test-only: validate ONNX files with the official checker (python3-onnx).

Usage: check_onnx.py FILE...  Prints one JSON line per file: {"file", "ok", "error"}.
full_check also runs strict shape inference over the graph.
"""
import json
import sys

import onnx

for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        print(json.dumps({"file": path, "ok": True, "error": None}))
    except Exception as e:  # report every failure kind, keep checking the rest
        print(json.dumps({"file": path, "ok": False, "error": f"{type(e).__name__}: {e}"}))
