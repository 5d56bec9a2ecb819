"""Golden REST bodies: what azure-ai-ml 1.4.0 (the SDK under `az ml`) sends for each job fixture.

For every YAML listed in test/fixtures/jobs/azureml-examples/cases.json this runs the SDK's own
`MLClient.jobs.create_or_update(load_job(path))` — validation, anonymous code/environment/component
registration, reference resolution, body serialisation — with every HTTP request answered by a
deterministic stand-in instead of Azure:

- the workspace is /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/…/workspaces/ws;
- uploads are not made: the SDK's upload hash is computed as usual and the blob path is
  LocalUpload/<hash>/<name> on account `oraclestore`, container `azureml-blobstore`; an uploaded
  (anonymous) code asset is named `oracle-<hash>` version 1 (azure-ai-ml names it with a fresh GUID);
- `azureml:<name>@latest` data/environment/model lookups answer version "7";
- every PUT is recorded (URL path + JSON body) and echoed back as the created resource.

The result is one JSON file per fixture under test/fixtures/jobs/azureml-examples/golden/, with the
job PUT and every asset PUT before it, in order. A YAML the SDK refuses records the SDK's error.
Regenerate (needs Debian's python3-azure; CI does not):

    PYTHONPATH=scripts/oracle /usr/bin/python3 scripts/oracle/job-bodies.py
"""

import io
import json
import os
import re
import sys
import traceback
from pathlib import Path, PurePosixPath
from unittest import mock
from urllib.parse import parse_qsl, unquote, urlparse

import requests

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "jobs" / "azureml-examples"
GOLDEN = FIXTURES / "golden"
SUB = "00000000-0000-0000-0000-000000000000"
RG = "rg"
WS = "ws"
WS_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/{WS}"
ACCOUNT = "oraclestore"
CONTAINER = "azureml-blobstore"
LATEST = "7"

# Deterministic: no telemetry, no git properties (the SDK reads the current directory's repository).
os.environ["AZUREML_SDKV2_TELEMETRY_OPTOUT"] = "1"


class Recorder:
    def __init__(self):
        self.puts = []

    def answer(self, request):
        url = urlparse(request.url)
        path = unquote(url.path)
        method = request.method
        body = json.loads(request.body) if request.body else None
        if "/oauth2/" in path or "login" in url.netloc:
            return 200, {"access_token": "x", "expires_in": 3600, "token_type": "Bearer"}
        if method == "PUT":
            self.puts.append({"path": path, "apiVersion": dict(parse_qsl(url.query)).get("api-version"), "body": body})
            echo = dict(body or {})
            echo["id"] = path
            echo["name"] = path.rstrip("/").split("/")[-1]
            echo.setdefault("properties", {})
            echo["systemData"] = SYSTEM_DATA
            if "/jobs/" in path:
                echo["properties"]["status"] = "NotStarted"
                echo["properties"]["services"] = {}
            return 201, echo
        m = re.search(r"/(data|environments|models|components)/([^/]+)/(versions|labels)(?:/([^/]+))?$", path)
        if method == "GET" and m:
            kind, name, version = m.group(1), m.group(2), m.group(4)
            if m.group(3) == "labels" or version is None:
                version = LATEST
            props = {
                "data": {"dataType": "uri_folder", "dataUri": f"azureml://datastores/workspaceblobstore/paths/{name}/"},
                "models": {"modelUri": f"azureml://datastores/workspaceblobstore/paths/{name}/", "modelType": "custom_model"},
                "environments": {"image": "python"},
                "components": {"componentSpec": REGISTERED_COMPONENT(name, version)},
            }[kind]
            item = {"id": f"{WS_ID}/{kind}/{name}/versions/{version}", "name": version, "properties": props, "systemData": SYSTEM_DATA}
            return 200, ({"value": [item]} if m.group(4) is None and m.group(3) == "versions" else item)
        m = re.search(r"/(data|environments|models|components)/([^/]+)$", path)
        if method == "GET" and m:
            kind, name = m.group(1), m.group(2)
            return 200, {"id": f"{WS_ID}/{kind}/{name}", "name": name, "properties": {"latestVersion": LATEST, "nextVersion": "8"}, "systemData": SYSTEM_DATA}
        if method == "GET" and re.search(r"/datastores(/workspaceblobstore)?$", path):
            ds = {
                "id": f"{WS_ID}/datastores/workspaceblobstore",
                "name": "workspaceblobstore",
                "properties": {"datastoreType": "AzureBlob", "accountName": ACCOUNT, "containerName": CONTAINER, "endpoint": "core.windows.net", "protocol": "https", "isDefault": True, "credentials": {"credentialsType": "AccountKey"}},
            }
            return 200, ({"value": [ds]} if path.endswith("/datastores") else ds)
        m = re.search(r"/computes/([^/]+)$", path)
        if method == "GET" and m:
            return 200, {"id": f"{WS_ID}/computes/{m.group(1)}", "name": m.group(1), "properties": {"computeType": "AmlCompute", "properties": {}}}
        if method == "POST" and path.endswith("/listSecrets"):
            return 200, {"secretsType": "AccountKey", "key": "b3JhY2xl"}
        return 404, {"error": {"code": "NotFound", "message": f"oracle stand-in: no answer for {method} {path}"}}


def REGISTERED_COMPONENT(name, version):
    """The stand-in for a registered component: one data input, one output."""
    return {
        "name": name,
        "version": version,
        "type": "command",
        "command": "python run.py --in ${{inputs.training_data}} ${{inputs.model_input}} --out ${{outputs.model_output}}",
        "environment": "azureml:AzureML-sklearn-1.5@latest",
        "inputs": {"training_data": {"type": "uri_folder", "optional": True}, "model_input": {"type": "uri_folder", "optional": True}},
        "outputs": {"model_output": {"type": "uri_folder"}},
    }


SYSTEM_DATA = {"createdAt": "2024-01-01T00:00:00Z", "createdBy": "oracle", "createdByType": "Application", "lastModifiedAt": "2024-01-01T00:00:00Z", "lastModifiedBy": "oracle", "lastModifiedByType": "Application"}
RECORDER = Recorder()


def fake_send(self, request, **kwargs):  # requests.adapters.HTTPAdapter.send
    status, payload = RECORDER.answer(request)
    response = requests.Response()
    response.status_code = status
    import urllib3

    content = json.dumps(payload).encode()
    response._content = content
    response.raw = urllib3.response.HTTPResponse(body=io.BytesIO(content), preload_content=False, status=status)
    response.headers["Content-Type"] = "application/json"
    response.headers["x-ms-request-id"] = "oracle"
    response.url = request.url
    response.request = request
    response.reason = "OK" if status < 400 else "Not Found"
    return response


class Token:
    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        # A JWT (unsigned) because the SDK decodes the token for user_identity jobs.
        import base64

        claims = {"oid": "oracle", "exp": 4102444800}
        if any("ml.azure.com" in s for s in scopes):
            claims["aud"] = "https://ml.azure.com"
        part = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
        return AccessToken(f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2ln", 4102444800)


def fake_upload(local_path, datastore_operation, operation_scope, datastore_name, asset_hash=None, show_progress=True, asset_name=None, asset_version=None, ignore_file=None, sas_uri=None):
    """azure-ai-ml's upload_artifact without the upload: same hash and blob layout, stand-in names."""
    from azure.ai.ml._artifacts._artifact_utilities import ArtifactStorageInfo
    from azure.ai.ml._utils._asset_utils import generate_asset_id, get_ignore_file, get_object_hash
    from azure.ai.ml._utils._arm_id_utils import get_datastore_arm_id

    if not asset_hash:
        asset_hash = get_object_hash(local_path, ignore_file or get_ignore_file(local_path))
    dest = str(PurePosixPath(generate_asset_id(asset_hash, include_directory=True), Path(local_path).name))
    return ArtifactStorageInfo(
        name=f"oracle-{asset_hash}",
        version="1",
        relative_path=dest,
        datastore_arm_id=get_datastore_arm_id(datastore_name or "workspaceblobstore", operation_scope),
        container_name=CONTAINER,
        storage_account_url=f"https://{ACCOUNT}.blob.core.windows.net",
        indicator_file=dest,
        is_file=Path(local_path).is_file(),
    )


def build(case):
    from azure.ai.ml import MLClient, load_job

    RECORDER.puts = []
    overrides = [{k: v} for k, v in case.get("set", {}).items()]
    client = MLClient(Token(), SUB, RG, WS)
    # As the examples run it: `az ml job create -f <file>` from the file's folder (azure-ai-ml 1.4.0
    # resolves an inline environment's build path against the current directory).
    os.chdir((FIXTURES / case["file"]).parent)
    job = load_job(FIXTURES / case["file"], params_override=overrides)
    if case.get("name"):
        job.name = case["name"]
    client.jobs.create_or_update(job)
    return RECORDER.puts


def main():
    cases = json.loads((FIXTURES / "cases.json").read_text())
    only = set(sys.argv[1:])
    GOLDEN.mkdir(exist_ok=True)
    # No azureml.git.* properties: they describe the machine's checkout, not the YAML.
    with mock.patch("azure.ai.ml.operations._job_operations.get_git_properties", lambda: {}), mock.patch("requests.adapters.HTTPAdapter.send", fake_send), mock.patch(
        "azure.ai.ml._artifacts._artifact_utilities.upload_artifact", fake_upload
    ):
        for case in cases:
            if only and case["id"] not in only:
                continue
            out = {"file": case["file"], "set": case.get("set", {}), "name": case.get("name")}
            try:
                puts = build(case)
                out["requests"] = puts
            except Exception as e:  # the SDK refused the YAML
                text = str(e).strip().splitlines()
                out["error"] = {"type": type(e).__name__, "message": "\n".join(text[:40])}
                if os.environ.get("ORACLE_DEBUG"):
                    traceback.print_exc()
            (GOLDEN / f"{case['id']}.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
            print(f"{case['id']}: {'refused: ' + out['error']['type'] if 'error' in out else str(len(out['requests'])) + ' PUTs'}")


if __name__ == "__main__":
    main()
