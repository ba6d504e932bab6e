"""The baseline for the ingest benchmark: a bare Flask endpoint served the same way."""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/zalo")
def receive():
    request.get_data()
    return jsonify({"ok": True}), 200
