"""Prepares a Schemathesis run against a fresh `ketentafel --demo` (called by scripts/schemathesis).

Waits for the server, logs in with a demo account (password `demo`) and prints the session token; writes a
schemathesis.toml whose dictionaries hold the identifiers of what the demo workspace holds, so
that path and query identifiers reach real cases, conferences and actions most of the time
instead of only ever the 404 of a random UUID.
"""

import json
import sys
import time
import urllib.error
import urllib.request

base, config, email = sys.argv[1], sys.argv[2], sys.argv[3]

for _ in range(600):
    try:
        urllib.request.urlopen(base + "/healthz", timeout=2)
        break
    except OSError:
        time.sleep(0.1)


def call(path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Cookie"] = "kt_session=" + token
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data, headers)
    return json.load(urllib.request.urlopen(request, timeout=30))


token = call("/api/session", {"email": email, "password": "demo"})["token"]

# What the demo workspace holds, by kind: an identifier in a path only reaches a handler's
# logic when it names the kind of thing that path is about.
ids = {kind: set() for kind in ["cases", "members", "meetings", "invites", "actions", "escalations",
                                "obstacles", "notifications", "organisations"]}


def ids_of(kind, items):
    ids[kind].update(item["id"] for item in items)


ids_of("escalations", call("/api/escalations", token=token))
ids_of("obstacles", call("/api/obstacles", token=token))
ids_of("notifications", call("/api/notifications", token=token))
ids_of("organisations", call("/api/organisations", token=token))
for case in call("/api/cases", token=token):
    ids["cases"].add(case["id"])
    detail = call("/api/cases/" + case["id"], token=token)
    ids_of("members", detail["members"])
    ids_of("actions", detail["actions"])
    ids_of("escalations", detail["escalations"])
    ids_of("meetings", detail["meetings"])
    for meeting in detail["meetings"]:
        try:
            ids_of("invites", call("/api/meetings/%s/invites" % meeting["id"], token=token))
        except urllib.error.HTTPError as refused:
            # Only a chair sees a conference's invites; other roles just have none to draw from.
            if refused.code != 403:
                raise
ids["charts"] = {f"{chart}.{kind}" for chart in ["on-time", "escalation-age", "decision-time", "warnings"]
                 for kind in ["svg", "csv"]}

# Which dictionary each path's parameters draw from; a random value is still tried one time in
# five, for the 404 of a missing thing.
paths = {
    "^/api/cases/": {"id": "cases", "member_id": "members"},
    "^/api/meetings/": {"id": "meetings", "invite_id": "invites"},
    "^/api/actions/": {"id": "actions"},
    "^/api/escalations/": {"id": "escalations"},
    "^/api/obstacles/": {"id": "obstacles"},
    "^/api/notifications/": {"id": "notifications"},
    "^/api/figures/": {"file": "charts"},
}
queries = {"case_id": "cases", "organisation_id": "organisations", "municipality_id": "organisations"}


def values(items):
    return ", ".join(json.dumps(item) for item in sorted(items))


def binding(kind, probability):
    return f'{{ dictionary = "{kind}", probability = {probability} }}'


with open(config, "w") as out:
    for kind, items in ids.items():
        if items:
            out.write(f"[dictionaries.{kind}]\nvalues = [{values(items)}]\n\n")
    out.write("[parameters]\n")
    for name, kind in queries.items():
        if ids[kind]:
            out.write(f'"query.{name}" = {binding(kind, 0.5)}\n')
    for regex, parameters in paths.items():
        bound = {name: kind for name, kind in parameters.items() if ids[kind]}
        if bound:
            out.write(f'\n[[operations]]\ninclude-path-regex = "{regex}"\n[operations.parameters]\n')
            for name, kind in bound.items():
                out.write(f'"path.{name}" = {binding(kind, 0.8)}\n')
print(token)
