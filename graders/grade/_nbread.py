"""Read a student's notebook file in a child process with a memory limit.

``python -I -m graders.grade._nbread PATH MAX_BYTES MEMORY_MB`` prints one JSON object:
``{"cells": [{"type", "source", "grade_id", "points"}], "kernel": name}`` or
``{"corrupt": why}``. A hostile file (a JSON document built to expand to gigabytes of Python
objects, or nested as deep as it can) can only exhaust this child, never the grader; what the
grader reads back is flat and no larger than the notebook's sources. Standard library only.
"""

from __future__ import annotations

import json
import sys


def extract(data: bytes) -> dict:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"corrupt": f"not UTF-8 text (byte {exc.start})"}
    try:
        nb = json.loads(text)
    except RecursionError:
        return {"corrupt": "not a notebook: JSON nested too deeply"}
    except ValueError as exc:
        return {"corrupt": f"not valid JSON ({exc})"}
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        if isinstance(nb, dict) and "worksheets" in nb:
            return {"corrupt": "an nbformat 3 notebook: open and save it in Jupyter first"}
        return {"corrupt": "not a notebook: no list of cells"}
    cells = []
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            return {"corrupt": "not a notebook: a cell is not an object"}
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        elif not isinstance(source, str):
            return {"corrupt": "a cell's source is neither text nor a list of lines"}
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
        gid = nbg.get("grade_id") if isinstance(nbg.get("grade_id"), str) else None
        points = nbg.get("points")
        cells.append({"type": cell.get("cell_type") if isinstance(cell.get("cell_type"), str)
                      else None, "source": source, "grade_id": gid,
                      "points": points if isinstance(points, (int, float))
                      and not isinstance(points, bool) else None})
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    spec = meta.get("kernelspec") if isinstance(meta.get("kernelspec"), dict) else {}
    kernel = spec.get("name")
    return {"cells": cells, "kernel": kernel if isinstance(kernel, str) else None}


def main() -> None:
    import resource

    path, max_bytes, memory_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    try:
        chunks, size = [], 0
        with open(path, "rb") as f:
            while size <= max_bytes and (chunk := f.read(1 << 20)):
                chunks.append(chunk)
                size += len(chunk)
        data = b"".join(chunks)
        del chunks
        if len(data) > max_bytes:
            result = {"corrupt": f"the file is over the {max_bytes / 2**20:.0f} MiB limit"}
        else:
            result = extract(data)
            del data
        out = json.dumps(result)
    except MemoryError:
        out = json.dumps({"corrupt": "the notebook expands to more memory than allowed"})
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
