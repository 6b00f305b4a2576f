"""Evidence in an S3-compatible store: a real local S3 endpoint (moto's server), the gateway's
own code talking to it."""

from __future__ import annotations

import base64
import io
import socket
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from gateway.app import create_app
from services.kernel.config import Settings

pytestmark = pytest.mark.integration

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "S3_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="evidence")
    yield endpoint
    server.stop()


def test_evidence_round_trips_through_s3_and_a_changed_object_is_refused(stack, s3_endpoint: str):
    settings = Settings.from_env({**stack.env, "EVIDENCE_STORE": "s3://evidence"})
    client = create_app(settings).test_client()
    token = client.post(
        "/api/v1/auth/token",
        json={"username": "handler-water", "password": settings.demo_password},
    ).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    stored = client.post(
        "/api/v1/files", data={"file": (io.BytesIO(PNG), "a.png")}, headers=headers
    )
    assert stored.status_code == 201, stored.json
    sha = stored.json["sha"]
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    assert s3.get_object(Bucket="evidence", Key=f"{sha[:2]}/{sha}")["Body"].read() == PNG
    assert client.get(f"/api/v1/files/{sha}", headers=headers).data == PNG

    s3.put_object(Bucket="evidence", Key=f"{sha[:2]}/{sha}", Body=PNG + b"x")
    assert client.get(f"/api/v1/files/{sha}", headers=headers).status_code == 409
