"""An snmpd ``pass`` script serving a Mitel 3300's alarm objects from a JSON file.

snmpd runs it as ``mitel_pass.py STATE.json -g OID`` (GET) or ``-n OID`` (GETNEXT) and reads
three lines (OID, type, value), or nothing for "no such object". The test writes the file
(``{"level": 3, "categories": [{"name": "Trunks", "level": 3}]}``) to change the answers.
"""

from __future__ import annotations

import json
import sys

BASE = "1.3.6.1.4.1.1027.4.1.1.2.2"


def objects(state: dict) -> list[tuple[tuple[int, ...], str, str]]:
    categories = state.get("categories", [])
    found = [
        (f"{BASE}.1.0", "integer", str(state.get("level", 1))),
        (f"{BASE}.3.0", "integer", str(len(categories))),
    ]
    for index, category in enumerate(categories, start=1):
        found.append((f"{BASE}.4.1.4.{index}", "integer", str(category["level"])))
        found.append((f"{BASE}.4.1.8.{index}", "string", category["name"]))
    return sorted((tuple(map(int, oid.split("."))), kind, value) for oid, kind, value in found)


def main() -> None:
    state_file, mode, asked = sys.argv[1], sys.argv[2], sys.argv[3].lstrip(".")
    with open(state_file, encoding="utf-8") as handle:
        state = json.load(handle)
    wanted = tuple(map(int, asked.split(".")))
    for oid, kind, value in objects(state):
        if (mode == "-g" and oid == wanted) or (mode == "-n" and oid > wanted):
            print("." + ".".join(map(str, oid)))
            print(kind)
            print(value)
            return


if __name__ == "__main__":
    main()
