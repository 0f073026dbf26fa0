"""Claude on AWS Bedrock and Google Vertex AI, through the SDK's own clients.

``DEVAGENT_PROVIDER=bedrock`` or ``vertex`` sends every Anthropic model (a bare id or alias,
not a ``PROFILE:MODEL``) through ``anthropic.AnthropicBedrock`` or ``anthropic.AnthropicVertex``;
``anthropic`` or unset is the Anthropic API. The clients come with the optional extras
``devagent[bedrock]`` (boto3) and ``devagent[vertex]`` (google-auth) and are built on the first
request, so choosing a provider costs nothing until then.

- Bedrock: ``AWS_REGION`` (or ``AWS_DEFAULT_REGION``) and AWS credentials as boto3 finds them
  (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, …) or a Bedrock API key
  in ``AWS_BEARER_TOKEN_BEDROCK``; ``ANTHROPIC_BEDROCK_BASE_URL`` moves the endpoint.
- Vertex: ``CLOUD_ML_REGION`` and ``ANTHROPIC_VERTEX_PROJECT_ID``, Google application default
  credentials; ``ANTHROPIC_VERTEX_BASE_URL`` moves the endpoint.

Model ids: the name devagent shows, stores and prices stays the Claude id the alias table
gives (``sonnet`` -> ``claude-sonnet-5-5``); the id sent is that provider's id for it
(``anthropic.claude-sonnet-5-5-v1:0`` on Bedrock). An id that already is a provider id (an
inference profile ``us.anthropic.…``, a Vertex ``…@date``) is sent as it is, so settings'
``modelAliases`` can point an alias at one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

from devagent.config import Price, price_for
from devagent.errors import ModelAuthError, UsageError
from devagent.events import EventSink
from devagent.llm.base import Model
from devagent.llm.providers import NamedModel
from devagent.messages import AssistantReply, ModelRequest

if TYPE_CHECKING:
    import anthropic

Cloud = Literal["bedrock", "vertex"]
CLOUDS: tuple[Cloud, ...] = ("bedrock", "vertex")
PROVIDER_VAR = "DEVAGENT_PROVIDER"
EXTRA_PACKAGE = {"bedrock": "boto3", "vertex": "google.auth"}
IDLE_TIMEOUT = 300.0
_CLAUDE_ID = re.compile(r"claude-[a-z0-9.-]+")


def cloud_provider(env: Mapping[str, str]) -> Cloud | None:
    """The cloud ``DEVAGENT_PROVIDER`` names; None for the Anthropic API."""
    value = env.get(PROVIDER_VAR, "").strip().lower()
    if value in ("", "anthropic"):
        return None
    if value == "bedrock":
        return "bedrock"
    if value == "vertex":
        return "vertex"
    raise UsageError(
        f"{PROVIDER_VAR}={value!r} is not a provider devagent knows: use bedrock, vertex or "
        "anthropic (or unset it). Other servers are chosen with --model PROFILE:MODEL."
    )


def cloud_model_id(cloud: Cloud, model: str) -> str:
    """The id ``cloud`` knows for the Claude id ``model``; a provider id is kept as it is."""
    if not model.startswith("claude-"):
        return model
    if cloud == "bedrock":
        return f"anthropic.{model}-v1:0"
    return model


def cloud_price_model(model: str) -> str:
    """The Claude id inside a provider id, for the price table (``us.anthropic.claude-…``)."""
    found = _CLAUDE_ID.search(model)
    return found.group(0) if found else model


def make_cloud_model(cloud: Cloud, name: str, env: Mapping[str, str]) -> NamedModel:
    """The model ``name`` on ``cloud``; its client is built on the first request."""
    from devagent.llm.anthropic import AnthropicModel

    check_region(cloud, env)
    wire = cloud_model_id(cloud, name)
    inner = AnthropicModel(wire, api_key="", make_client=client_maker(cloud, env))
    return CloudModel(cloud, name, price_for(cloud_price_model(name)), inner)


# The packages whose errors mean the cloud's credentials could not be found or used.
_CREDENTIAL_ERRORS = {"bedrock": "botocore", "vertex": "google.auth"}
_CREDENTIAL_HINTS = {
    "bedrock": "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or "
    "AWS_BEARER_TOKEN_BEDROCK",
    "vertex": "run gcloud auth application-default login, or point "
    "GOOGLE_APPLICATION_CREDENTIALS at a key file",
}


class CloudModel(NamedModel):
    """A Bedrock or Vertex model: credential failures of boto3 or google-auth (raised while
    the SDK signs or authorises the request) become ``ModelAuthError`` with the fix."""

    def __init__(self, cloud: Cloud, name: str, price: Price | None, inner: Model) -> None:
        super().__init__(name, price, inner)
        self.cloud = cloud

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        try:
            return self.inner.stream(request, on_event)
        except Exception as exc:
            if not type(exc).__module__.startswith(_CREDENTIAL_ERRORS[self.cloud]):
                raise
            raise ModelAuthError(
                f"{self.cloud.capitalize()} credentials failed ({type(exc).__name__}: "
                f"{str(exc)[:200]}); {_CREDENTIAL_HINTS[self.cloud]}."
            ) from exc


def check_region(cloud: Cloud, env: Mapping[str, str]) -> None:
    """The variables a cloud needs before any request, named when missing."""
    if cloud == "bedrock" and not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        raise UsageError(
            "AWS_REGION is not set: DEVAGENT_PROVIDER=bedrock needs the AWS region "
            "(export AWS_REGION=us-east-1, for example)."
        )
    if cloud == "vertex":
        for var, example in (("CLOUD_ML_REGION", "us-east5"), ("ANTHROPIC_VERTEX_PROJECT_ID", "")):
            if not env.get(var, "").strip():
                hint = f" (export {var}={example}, for example)" if example else ""
                raise UsageError(f"{var} is not set: DEVAGENT_PROVIDER=vertex needs it{hint}.")


def check_extra(cloud: Cloud) -> None:
    """A usage error naming the extra to install when the cloud's package is missing."""
    import importlib.util

    package = EXTRA_PACKAGE[cloud]
    try:
        found = importlib.util.find_spec(package) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        raise UsageError(
            f"DEVAGENT_PROVIDER={cloud} needs the {cloud} extra: pip install 'devagent[{cloud}]'."
        )


def client_maker(cloud: Cloud, env: Mapping[str, str]) -> Callable[[], anthropic.Anthropic]:
    """Builds the SDK client of ``cloud`` from ``env`` (retries off: devagent retries)."""
    values = dict(env)

    def make() -> anthropic.Anthropic:
        import anthropic

        timeout = anthropic.Timeout(600.0, connect=10.0, read=IDLE_TIMEOUT)
        client: anthropic.Anthropic
        if cloud == "bedrock":
            client = anthropic.AnthropicBedrock(  # type: ignore[assignment]
                aws_region=values.get("AWS_REGION") or values.get("AWS_DEFAULT_REGION"),
                base_url=values.get("ANTHROPIC_BEDROCK_BASE_URL") or None,
                max_retries=0,
                timeout=timeout,
            )
        else:
            client = anthropic.AnthropicVertex(  # type: ignore[assignment]
                region=values["CLOUD_ML_REGION"],
                project_id=values["ANTHROPIC_VERTEX_PROJECT_ID"],
                base_url=values.get("ANTHROPIC_VERTEX_BASE_URL") or None,
                max_retries=0,
                timeout=timeout,
            )
        return client

    return make
