#!/usr/bin/env python3
"""Prints the Python guide's table of vidgear's capture parameters from
python/netgear_rs/capture.py's PARAMETERS (read as text: nothing is imported), or, with
--check docs/python.md, fails if the guide's table is not that one (--write docs/python.md
puts it there)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HEAD = "| parameter or option | on netgear_rs |"


def table():
    with open(os.path.join(HERE, "..", "python", "netgear_rs", "capture.py")) as f:
        src = f.read()
    start = src.index("PARAMETERS = {")
    end = src.index("\n}\n", start) + 3
    names = {}
    exec(src[start:end], names)
    rows = [HEAD, "|---|---|"]
    for key, text in names["PARAMETERS"].items():
        rows.append("| `{}` | {} |".format(key.replace(", ", "`, `"), text.replace("|", "\\|")))
    return "\n".join(rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        with open(sys.argv[2]) as f:
            readme = f.read()
        if table() not in readme:
            sys.exit("{}: the capture table is not capture.PARAMETERS's: run "
                     "scripts/capture-table.py --write {}".format(sys.argv[2], sys.argv[2]))
    elif sys.argv[1:2] == ["--write"]:
        with open(sys.argv[2]) as f:
            readme = f.read()
        start = readme.index(HEAD)
        end = readme.index("\n\n", start)
        with open(sys.argv[2], "w") as f:
            f.write(readme[:start] + table() + readme[end:])
    else:
        print(table())
