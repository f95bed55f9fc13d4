"""Seeds N users into a scimbridge app through Bulk requests and writes their ids to a file.

Usage: seed.py BASE_URL TOKEN N IDS_FILE
"""
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, token, total, ids_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
BATCH = 1000


def user(i):
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"user{i}@example.com",
        "externalId": f"ext-{i}",
        "name": {"givenName": f"Given{i}", "familyName": f"Family{i % 997}"},
        "emails": [{"value": f"user{i}@example.com", "type": "work", "primary": True}],
        "active": True,
    }


def send(first):
    ops = [
        {"method": "POST", "path": "/Users", "bulkId": str(i), "data": user(i)}
        for i in range(first, min(first + BATCH, total))
    ]
    body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops})
    request = urllib.request.Request(
        f"{base}/Bulk",
        data=body.encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        result = json.load(response)
    ids = []
    for op in result["Operations"]:
        if op["status"] != "201":
            raise SystemExit(f"seeding failed: {op}")
        ids.append(op["location"].rsplit("/", 1)[1])
    return ids


with ThreadPoolExecutor(max_workers=2) as pool:
    batches = pool.map(send, range(0, total, BATCH))
    with open(ids_path, "w") as out:
        for ids in batches:
            out.write("\n".join(ids) + "\n")
