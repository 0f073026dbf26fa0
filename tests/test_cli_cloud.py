"""Claude on Bedrock and Vertex through the real CLI: ``DEVAGENT_PROVIDER`` picks the SDK's
``AnthropicBedrock`` / ``AnthropicVertex`` client, and its request (signed by botocore, or
carrying a token google-auth fetched) reaches a local fake endpoint over real HTTP."""

from __future__ import annotations

import base64
import binascii
import json
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from clirun import run
from fakes.fake_api import FakeAPI, JSONResponse, RawStream, text_reply

pytest.importorskip("boto3")
pytest.importorskip("google.auth")
SDK_API_VERSION = pytest.importorskip("anthropic._constants").ANTHROPIC_API_VERSION


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def cloud_env(devagent_env: dict[str, str]) -> dict[str, str]:
    """No Anthropic key: a cloud provider needs none."""
    return {k: v for k, v in devagent_env.items() if k != "ANTHROPIC_API_KEY"}


# --------------------------------------------------------------------------- AWS event stream


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("!B", len(raw_name)) + raw_name + b"\x07" + struct.pack("!H", len(raw_value))
    ) + raw_value


def event_stream_message(event: dict[str, Any]) -> bytes:
    """One Bedrock ``chunk`` frame carrying a Messages API stream event, as AWS frames it:
    lengths, prelude CRC, string headers, the JSON payload, message CRC."""
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode()})
    headers = (
        _header(":event-type", "chunk")
        + _header(":content-type", "application/json")
        + _header(":message-type", "event")
    )
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(headers))
    prelude += struct.pack("!I", binascii.crc32(prelude))
    body = prelude + headers + payload.encode()
    return body + struct.pack("!I", binascii.crc32(body))


def messages_events(text: str, model: str) -> list[dict[str, Any]]:
    usage = {"input_tokens": 12, "output_tokens": 3}
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": model}
    return [
        {"type": "message_start", "message": {**message, "content": [], "usage": usage}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 3},
        },
        {"type": "message_stop"},
    ]


def test_bedrock_client_signs_and_reaches_the_endpoint(
    devagent_cmd: list[str], cloud_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    frames = [event_stream_message(e) for e in messages_events("from bedrock", "claude")]
    fake_api.enqueue(RawStream(frames))
    env = {
        **cloud_env,
        "DEVAGENT_PROVIDER": "bedrock",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "ANTHROPIC_BEDROCK_BASE_URL": fake_api.base_url,
    }
    done = run(devagent_cmd, ["-p", "hi", "--output-format", "json"], env, repo)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["result"] == "from bedrock"
    assert result["total_cost_usd"] > 0  # priced as the Claude model it is
    request = fake_api.requests[0]
    assert request.path == "/model/anthropic.claude-sonnet-5-5-v1:0/invoke-with-response-stream"
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/bedrock/aws4_request" in request.headers["authorization"]
    assert request.json["anthropic_version"] == SDK_API_VERSION  # set by the SDK's client
    assert "model" not in request.json and request.json["messages"]


def test_bedrock_takes_a_provider_id_from_the_alias_table(
    devagent_cmd: list[str],
    cloud_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    profile_id = "us.anthropic.claude-haiku-5-5-v1:0"
    (devagent_home / "settings.json").write_text(json.dumps({"modelAliases": {"fast": profile_id}}))
    frames = [event_stream_message(e) for e in messages_events("ok", "claude")]
    fake_api.enqueue(RawStream(frames))
    env = {
        **cloud_env,
        "DEVAGENT_PROVIDER": "bedrock",
        "AWS_REGION": "us-west-2",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "ANTHROPIC_BEDROCK_BASE_URL": fake_api.base_url,
    }
    done = run(devagent_cmd, ["-p", "hi", "--model", "fast"], env, repo)
    assert done.returncode == 0, done.stderr
    assert fake_api.requests[0].path == f"/model/{profile_id}/invoke-with-response-stream"


def service_account(token_uri: str) -> dict[str, str]:
    """A service account key file whose token endpoint is ``token_uri`` (a fresh RSA key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "type": "service_account",
        "project_id": "my-project",
        "private_key_id": "key-1",
        "private_key": pem.decode(),
        "client_email": "devagent@my-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }


def test_vertex_client_fetches_a_token_and_reaches_the_endpoint(
    devagent_cmd: list[str],
    cloud_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    tmp_path: Path,
) -> None:
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps(service_account(fake_api.base_url + "/token")))
    fake_api.enqueue(
        JSONResponse({"access_token": "ya29.fake", "expires_in": 3600, "token_type": "Bearer"}),
        text_reply("from vertex"),
    )
    env = {
        **cloud_env,
        "DEVAGENT_PROVIDER": "vertex",
        "CLOUD_ML_REGION": "us-east5",
        "ANTHROPIC_VERTEX_PROJECT_ID": "my-project",
        "ANTHROPIC_VERTEX_BASE_URL": fake_api.base_url + "/v1",
        "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
    }
    done = run(devagent_cmd, ["-p", "hi", "--model", "opus"], env, repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "from vertex"
    token, request = fake_api.requests
    assert token.path == "/token" and b"grant_type=urn" in token.raw
    assert request.path == (
        "/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/"
        "claude-opus-5-5:streamRawPredict"
    )
    assert request.headers["authorization"] == "Bearer ya29.fake"
    assert request.json["anthropic_version"] == SDK_API_VERSION


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"DEVAGENT_PROVIDER": "bedrock"}, "AWS_REGION is not set"),
        ({"DEVAGENT_PROVIDER": "vertex"}, "CLOUD_ML_REGION is not set"),
        (
            {"DEVAGENT_PROVIDER": "vertex", "CLOUD_ML_REGION": "us-east5"},
            "ANTHROPIC_VERTEX_PROJECT_ID is not set",
        ),
        ({"DEVAGENT_PROVIDER": "azure"}, "DEVAGENT_PROVIDER='azure' is not a provider"),
    ],
)
def test_missing_cloud_settings_are_usage_errors(
    devagent_cmd: list[str],
    cloud_env: dict[str, str],
    repo: Path,
    extra: dict[str, str],
    message: str,
) -> None:
    done = run(devagent_cmd, ["-p", "hi"], {**cloud_env, **extra}, repo)
    assert done.returncode == 2
    assert message in done.stderr


def test_vertex_without_usable_credentials_says_how_to_fix_it(
    devagent_cmd: list[str], cloud_env: dict[str, str], repo: Path, tmp_path: Path
) -> None:
    env = {
        **cloud_env,
        "DEVAGENT_PROVIDER": "vertex",
        "CLOUD_ML_REGION": "us-east5",
        "ANTHROPIC_VERTEX_PROJECT_ID": "my-project",
        "ANTHROPIC_VERTEX_BASE_URL": "http://127.0.0.1:9/v1",
        "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing.json"),
    }
    done = run(devagent_cmd, ["-p", "hi"], env, repo)
    assert done.returncode == 1
    assert "Vertex credentials failed (DefaultCredentialsError" in done.stderr
    assert "gcloud auth application-default login" in done.stderr
    assert "Traceback" not in done.stderr
