"""Drive the Azure ML emulator with the official Python SDK (azure-ai-ml 1.4.0, as `az ml` does).

    PYTHONPATH=scripts/oracle /usr/bin/python3 scripts/oracle/drive-emulator.py READY.json JOB.yml [--no-wait]

READY.json is the emulator's READY configuration. Nothing in the SDK is patched or re-pointed: it
talks to Azure's public hosts (management.azure.com, login.microsoftonline.com,
<account>.blob.core.windows.net) through the emulator's proxy (HTTPS_PROXY = `httpsProxy`) and trusts
the emulator's CA (REQUESTS_CA_BUNDLE). The script sets both from READY.json before importing the SDK.

It reads the workspace (not with --no-wait), submits the job (uploading its local code and inputs), and —
unless --no-wait — polls `jobs.get` until the job ends, registers a local folder as a model (another upload) and lists
the workspace's models. One JSON object per line on
stdout: {"step": ..., ...}. Exit status 0 when every step answered (whatever the job's outcome).
"""

import json
import os
import sys
import time

config = json.load(open(sys.argv[1]))
job_path = sys.argv[2]
wait = "--no-wait" not in sys.argv[3:]

os.environ["HTTPS_PROXY"] = config["httpsProxy"]
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["REQUESTS_CA_BUNDLE"] = config["caCertPath"]
os.environ["SSL_CERT_FILE"] = config["caCertPath"]
os.environ.setdefault("AZUREML_SDKV2_TELEMETRY_OPTOUT", "1")

from azure.ai.ml import MLClient, load_job  # noqa: E402
from azure.ai.ml.entities import Model  # noqa: E402
from azure.identity import ClientSecretCredential  # noqa: E402

TERMINAL = {"Completed", "Failed", "Canceled", "NotResponding", "Paused"}


def say(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)


credential = ClientSecretCredential(config["tenantId"], config["clientId"], config["clientSecret"])
dev = config["dev"]
ml = MLClient(credential, config["subscriptionId"], dev["resourceGroup"], dev["workspace"])

if wait:
    workspace = ml.workspaces.get(dev["workspace"])
    say("workspace", name=workspace.name, location=workspace.location, mlflow=workspace.mlflow_tracking_uri)

job = ml.jobs.create_or_update(load_job(job_path))
say("submitted", name=job.name, status=job.status, code=str(job.code), environment=str(job.environment))

if wait:
    started = time.time()
    while job.status not in TERMINAL and time.time() - started < 600:
        time.sleep(1)
        job = ml.jobs.get(job.name)
    say("ended", name=job.name, status=job.status, outputs=sorted(job.outputs or {}))
    model_folder = os.path.join(os.path.dirname(os.path.abspath(job_path)), "..", "src")
    model = ml.models.create_or_update(Model(name="sdk-driven-model", path=model_folder, type="custom_model"))
    say("model", name=model.name, version=model.version, path=str(model.path))
    say("models", names=sorted({m.name for m in ml.models.list()}))
