#!/usr/bin/python3
"""The real app's accessibility tree, as a screen reader (Orca) reads it over AT-SPI.

    atspi.py tree EXE             prints the tree of the application whose executable is EXE,
                                  as JSON: role, name, description, states, object attributes,
                                  text, children
    atspi.py listen EXE SECONDS   prints, one JSON object a line, what the application says
                                  in that time through live regions and announcements (what a
                                  screen reader speaks without the user moving)

Run with Debian's python3 (python3-pyatspi), on the session bus the app runs on.
"""

import json
import os
import sys

import pyatspi
from gi.repository import GLib

STATES = {
    pyatspi.STATE_FOCUSED: "focused",
    pyatspi.STATE_FOCUSABLE: "focusable",
    pyatspi.STATE_EDITABLE: "editable",
    pyatspi.STATE_MULTI_LINE: "multi-line",
    pyatspi.STATE_SHOWING: "showing",
    pyatspi.STATE_SELECTED: "selected",
    pyatspi.STATE_MODAL: "modal",
}


def same_exe(pid, exe):
    try:
        return os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(exe)
    except OSError:
        return False


def find_app(exe):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and same_exe(app.get_process_id(), exe):
            return app
    return None


def attributes(node):
    try:
        pairs = node.getAttributes() or []
    except Exception:
        return {}
    out = {}
    for pair in pairs:
        key, _, value = pair.partition(":")
        out[key] = value
    return out


def text_of(node):
    try:
        text = node.queryText()
    except NotImplementedError:
        return None
    except Exception:
        return None
    try:
        return text.getText(0, -1)
    except Exception:
        return None


def describe(node, depth=0):
    try:
        role = node.getRoleName()
        name = node.name or ""
        description = node.description or ""
        state_set = node.getState()
        count = node.childCount
    except Exception:
        return None
    entry = {
        "role": role,
        "name": name,
        "description": description,
        "states": [label for state, label in STATES.items() if state_set.contains(state)],
        "attributes": attributes(node),
        "text": text_of(node),
        "children": [],
    }
    if depth < 80:
        for i in range(count):
            try:
                child = node.getChildAtIndex(i)
            except Exception:
                continue
            if child is not None:
                described = describe(child, depth + 1)
                if described is not None:
                    entry["children"].append(described)
    return entry


def tree(exe):
    app = find_app(exe)
    if app is None:
        print(json.dumps(None))
        return 1
    print(json.dumps(describe(app)))
    return 0


def live_setting(node):
    """The live region a node speaks through, if any: its own or its container's setting."""
    attrs = attributes(node)
    return attrs.get("container-live") or attrs.get("live")


def listen(exe, seconds):
    app = find_app(exe)
    if app is None:
        print(json.dumps({"error": "no such application"}), flush=True)
        return 1
    pid = app.get_process_id()

    def ours(other):
        """The app, or a process it started: WebKit's web process speaks for the page."""
        for _ in range(4):
            if other == pid:
                return True
            try:
                with open(f"/proc/{other}/stat") as stat:
                    other = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                return False
        return False

    def on_event(event):
        try:
            source = event.source
            if source is None:
                return
            other = source.getApplication().get_process_id()
            if not ours(other) and not os.environ.get("ATSPI_EVERYTHING"):
                return
            live = live_setting(source)
            if event.type.startswith("object:announcement"):
                live = live or "announcement"
            if os.environ.get("ATSPI_EVERYTHING"):
                live = live or "none"
            if not live or live == "off":
                return
            data = event.any_data
            print(
                json.dumps(
                    {
                        "type": str(event.type),
                        "live": live,
                        "role": source.getRoleName(),
                        "pid": other,
                        "attributes": attributes(source) if os.environ.get("ATSPI_EVERYTHING") else None,
                        "app": source.getApplication().name,
                        "text": data if isinstance(data, str) else text_of(source),
                    }
                ),
                flush=True,
            )
        except Exception as error:  # a node gone while it was read
            print(json.dumps({"error": str(error)}), flush=True)

    # WebKit's web process speaks only once a reader has looked at the page: look first.
    describe(app)
    kinds = ["object:text-changed:insert", "object:children-changed:add", "object:announcement"]
    if os.environ.get("ATSPI_EVERYTHING"):
        kinds = ["object:"]
    pyatspi.Registry.registerEventListener(on_event, *kinds)
    print(json.dumps({"listening": True}), flush=True)
    GLib.timeout_add(int(seconds * 1000), lambda: pyatspi.Registry.stop() or False)
    pyatspi.Registry.start()
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "tree":
        return tree(argv[2])
    if len(argv) == 4 and argv[1] == "listen":
        return listen(argv[2], float(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
