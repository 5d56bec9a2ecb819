"""Scoring host of the Azure ML emulator (standard library only).

Follows the Azure ML inference contract the way azureml-inference-server-http does:
the entry script's init() runs once at start (AZUREML_MODEL_DIR names the model folder),
then GET / answers "Healthy" and POST /score passes the request body, as a string,
to run(raw_data) and returns its result as JSON.

Prints "MLOPS_SCORING_HOST_READY <port>" once init() has succeeded; if init() raises,
prints the traceback and exits with status 1. Exits when its parent process goes away.
"""
import argparse
import importlib.util
import json
import os
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def log(level, message):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    print(f"{stamp} | {level:<5} | {message}", flush=True)


def load_entry(entry):
    folder = os.path.dirname(os.path.abspath(entry))
    for path in (folder, os.getcwd()):
        if path not in sys.path:
            sys.path.insert(0, path)
    spec = importlib.util.spec_from_file_location("score", entry)
    module = importlib.util.module_from_spec(spec)
    sys.modules["score"] = module
    spec.loader.exec_module(module)
    if not hasattr(module, "run"):
        raise AttributeError(f"{entry} does not define run(raw_data)")
    return module


def make_handler(module, lock):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
        # first's ACK, which the peer delays (~40 ms on Linux): every request would take 40 ms more
        # than a real inference server does.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):
            log("INFO", "%s - %s" % (self.address_string(), fmt % args))

        def reply(self, status, body, content_type="application/json"):
            data = body if isinstance(body, bytes) else body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path in ("/", ""):
                self.reply(200, "Healthy", "text/plain; charset=utf-8")
            elif path == "/swagger.json":
                self.reply(404, json.dumps({"message": "This scoring script has no swagger (no input schema)."}))
            else:
                self.reply(404, json.dumps({"message": f"Not found: {path}"}))

        def do_POST(self):
            path = self.path.split("?")[0]
            if path != "/score":
                self.reply(404, json.dumps({"message": f"Not found: {path}"}))
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            try:
                with lock:
                    result = module.run(raw)
            except Exception:  # the contract: an exception in run() fails the request
                details = traceback.format_exc()
                log("ERROR", "Encountered Exception: " + details)
                self.reply(500, json.dumps({"message": "An unexpected error occurred in scoring script. Check the logs for more info.", "traceback": details}))
                return
            if isinstance(result, (bytes, bytearray)):
                self.reply(200, bytes(result), "application/octet-stream")
            else:
                self.reply(200, json.dumps(result))

    return Handler


def watch_parent(parent):
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entry", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-concurrency", type=int, default=1)
    args = parser.parse_args()
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    log("INFO", f"AZUREML_MODEL_DIR={os.environ.get('AZUREML_MODEL_DIR', '')}")
    log("INFO", f"Loading entry script {args.entry}")
    try:
        module = load_entry(args.entry)
        if hasattr(module, "init"):
            log("INFO", "Calling init()")
            module.init()
    except Exception:
        log("ERROR", "User's init function failed")
        log("ERROR", "Encountered Exception " + traceback.format_exc())
        sys.exit(1)
    lock = threading.BoundedSemaphore(max(1, args.max_concurrency))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(module, lock))
    log("INFO", "Scoring timeout is set to default")
    print(f"MLOPS_SCORING_HOST_READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
