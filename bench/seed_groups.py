"""Creates N groups in a scimbridge app, each with a few of the seeded users as members,
and writes their ids to a file.

Usage: seed_groups.py BASE_URL TOKEN N USER_IDS_FILE GROUP_IDS_FILE
"""
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, token, total, users_path, groups_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
with open(users_path) as f:
    users = [line.strip() for line in f if line.strip()]


def create(i):
    members = [{"value": users[(i * 7 + k) % len(users)]} for k in range(5)]
    body = json.dumps({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": f"Soak group {i}",
        "members": members,
    })
    request = urllib.request.Request(
        f"{base}/Groups",
        data=body.encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 201:
            raise SystemExit(f"creating group {i} failed: {response.status}")
        return json.load(response)["id"]


with ThreadPoolExecutor(max_workers=4) as pool:
    ids = list(pool.map(create, range(total)))
with open(groups_path, "w") as out:
    out.write("\n".join(ids) + "\n")
