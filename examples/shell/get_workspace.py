# GET /iam/v1/workspaces/current from Python, standard library only. `aac token --json` hands out a fresh
# access token (refreshed under the lock every program sharing creds.json takes) and the values the headers
# need; urllib does the rest. Python never touches creds.json.
#
#   python3 examples/shell/get_workspace.py
import json, pathlib, subprocess, sys, urllib.error, urllib.request

aac = pathlib.Path(__file__).resolve().parents[2] / "packages" / "cli" / "bin" / "aac.js"
done = subprocess.run(["node", str(aac), "token", "--json"], stdout=subprocess.PIPE, text=True)
if done.returncode != 0:
    sys.exit(done.returncode)  # aac printed what to do on stderr
session = json.loads(done.stdout)

request = urllib.request.Request(
    session["api_url"] + "/iam/v1/workspaces/current",
    headers={
        "Authorization": "Bearer " + session["access_token"],
        "x-api-project-id": session["project_id"],
        "Accept": "application/json",
    },
)
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        print(json.dumps(json.load(response), indent=2))
except urllib.error.HTTPError as error:
    sys.exit(f"HTTP {error.code}: {error.read().decode(errors='replace')}")
except (urllib.error.URLError, OSError) as error:  # refused, DNS, TLS, timeout: one line, exit 1
    sys.exit(f"{session['api_url']}: {getattr(error, 'reason', None) or error}")
