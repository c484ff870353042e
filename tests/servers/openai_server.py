"""An OpenAI-protocol HTTP server on loopback, for tests.

Real sockets and real JSON: the official `openai` client and `langchain_openai` talk to it as
they talk to api.openai.com, so tests assert on what crossed the wire instead of patching our
code. Speaks `POST /v1/chat/completions` (non-streaming, `response_format`, `tools`),
`POST /v1/embeddings` and `GET /v1/models`. As a fixture: `yield from OpenAIServer.serve()`.

    with OpenAIServer() as server:
        server.enqueue(status=429, headers={"retry-after-ms": "10"})
        server.enqueue(content={"variants": [...]})
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import secrets
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from tests.servers.base import LoopbackServer

Content = str | dict[str, Any] | list[Any]
Responder = Callable[[dict[str, Any]], Content]
_Reply = tuple[int, bytes, dict[str, str]]

# Shapes of real OpenAI error bodies: (type, code, message). The client maps the status to its
# exception class and keeps the body on `.body`, so tests can check both.
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    404: ("invalid_request_error", "unknown_url", "Unknown request URL."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again in 1s."),
    500: ("server_error", None, "The server had an error while processing your request."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}
JSON_OBJECT_NEEDS_WORD = (
    "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
    "'json_object'."
)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    json: Any  # parsed body; None for GET or a body that is not JSON


@dataclass
class ScriptedReply:
    """One canned answer. For an error status a str `content` becomes the error message."""

    content: Content | None = None
    status: int = 200
    delay: float = 0.0
    raw_body: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str | None = None


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    kind, code, default = _ERRORS.get(status, _ERRORS[500 if status >= 500 else 400])
    return {"error": {"message": message or default, "type": kind, "param": None, "code": code}}


def hashed_embedding(text: str, dim: int) -> list[float]:
    """A unit vector that depends only on (text, dim): same input, same vector, any process."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    rng = random.Random(seed)
    vec = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def sample_from_schema(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A small instance that satisfies a JSON schema (the subset structured outputs use)."""
    root = root if root is not None else schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        defs = root.get("$defs") or root.get("definitions") or {}
        return sample_from_schema(defs[name], root)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return sample_from_schema(options[0], root)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: sample_from_schema(sub, root) for name, sub in props.items()}
    if kind == "array":
        item = sample_from_schema(schema.get("items", {"type": "string"}), root)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "string":
        return "sample".ljust(schema.get("minLength", 0), "x")[: schema.get("maxLength", 10**6)]
    if kind in ("integer", "number"):
        return max(schema.get("minimum", -math.inf), min(schema.get("maximum", 1), 1))
    return {"boolean": True, "null": None}.get(kind)


def chosen_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """The function the model 'calls', or None when it should answer in text.

    After a tool result (last message role "tool") an `auto` model answers in words, which is
    what ends a function-calling loop; a forced or `required` choice always calls.
    """
    tools = [t["function"] for t in body.get("tools") or [] if t.get("type") == "function"]
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name")
        return next((t for t in tools if t["name"] == name), tools[0])
    last_role = (body.get("messages") or [{}])[-1].get("role")
    if choice in (None, "auto") and last_role == "tool":
        return None
    return tools[0]


def default_responder(body: dict[str, Any]) -> Content:
    """Schema-valid JSON when a schema is asked for (json_schema or a tool), else plain text."""
    tool = chosen_tool(body)
    if tool is not None:
        return sample_from_schema(tool.get("parameters") or {"type": "object"})
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return sample_from_schema(fmt["json_schema"].get("schema") or {"type": "object"})
    if fmt.get("type") == "json_object":
        return {"reply": "sample"}
    return "A reply from the loopback OpenAI server."


def estimate_tokens(text: str) -> int:
    # About four characters per token is OpenAI's own rule of thumb for English.
    return max(1, math.ceil(len(text) / 4))


def _as_text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content)


def _chat_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    if not body.get("model"):
        return "you must provide a model parameter"
    if not body.get("messages"):
        return "'messages' is a required property"
    if body.get("stream"):
        return "The loopback server does not stream; call without stream=True."
    fmt = body.get("response_format") or {}
    words = json.dumps(body["messages"]).lower()
    if fmt.get("type") == "json_object" and "json" not in words:
        return JSON_OBJECT_NEEDS_WORD  # the real API refuses this too
    return None


class OpenAIServer(LoopbackServer):
    thread_name = "openai-loopback"

    def __init__(self, *, embedding_dim: int = 384, api_key: str | None = None,
                 models: tuple[str, ...] = ("gpt-4o-mini", "text-embedding-3-small")) -> None:
        super().__init__()
        self.embedding_dim = embedding_dim
        self.models = models
        self.api_key = api_key  # None accepts any bearer token
        self.responder: Responder = default_responder
        self.requests: list[RecordedRequest] = []
        self._queues: dict[str, deque[ScriptedReply]] = {"chat": deque(), "embeddings": deque()}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting ---------------------------------------------------------------------------
    def enqueue(self, content: Content | None = None, *, endpoint: str = "chat", **kw: Any) -> None:
        """Queue one reply for the next call to `endpoint` ("chat" or "embeddings").

        Keywords: status, delay (seconds), raw_body (sent verbatim), headers, finish_reason.
        Queues are per endpoint so a pipeline's embedding calls never eat its chat replies.
        """
        self._queues[endpoint].append(ScriptedReply(content=content, **kw))

    def _take(self, endpoint: str) -> ScriptedReply | None:
        with self._lock:
            queue = self._queues[endpoint]
            return queue.popleft() if queue else None

    # -- dispatch ----------------------------------------------------------------------------
    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = urlsplit(h.path).path
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self._lock:
            self.requests.append(RecordedRequest(h.command, path, headers, body))
        try:
            _send(h, *self._route(h.command, path, headers, body))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer

    def _route(self, method: str, path: str, headers: dict[str, str], body: Any) -> _Reply:
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            return _json(401, error_body(401))
        routes: dict[tuple[str, str], Callable[[Any], _Reply]] = {
            ("POST", "/v1/chat/completions"): self._chat_completions,
            ("POST", "/v1/embeddings"): self._embeddings,
            ("GET", "/v1/models"): self._models,
        }
        route = routes.get((method, path))
        if route is None:
            return _json(404, error_body(404, f"Invalid URL ({method} {path})"))
        return route(body)

    def _scripted(self, reply: ScriptedReply | None) -> _Reply | None:
        """Delay, raw body or error status from a scripted reply; None to build a normal one."""
        if reply is None:
            return None
        if reply.delay:
            self._stopping.wait(reply.delay)
        if reply.raw_body is not None:
            raw = reply.raw_body
            return reply.status, raw.encode() if isinstance(raw, str) else raw, reply.headers
        if reply.status >= 400:
            message = reply.content if isinstance(reply.content, str) else None
            return _json(reply.status, error_body(reply.status, message), reply.headers)
        return None

    # -- endpoints ---------------------------------------------------------------------------
    def _chat_completions(self, body: Any) -> _Reply:
        problem = _chat_problem(body)
        if problem:
            return _json(400, error_body(400, problem))
        reply = self._take("chat")
        early = self._scripted(reply)
        if early is not None:
            return early
        if reply is not None and reply.content is not None:
            content = reply.content
        else:
            content = self.responder(body)
        finish = reply.finish_reason if reply else None
        return _json(200, _completion(body, content, finish), reply.headers if reply else {})

    def _embeddings(self, body: Any) -> _Reply:
        inputs = body.get("input") if isinstance(body, dict) else None
        if not inputs or not body.get("model"):
            return _json(400, error_body(400, "'input' and 'model' are required properties"))
        if isinstance(inputs, str) or isinstance(inputs[0], int):
            inputs = [inputs]  # one string, or one pre-tokenised input
        reply = self._take("embeddings")
        early = self._scripted(reply)
        if early is not None:
            return early
        dim = int(body.get("dimensions") or self.embedding_dim)
        as_base64 = body.get("encoding_format") == "base64"  # the openai client's default
        data = []
        for index, item in enumerate(inputs):
            vec = hashed_embedding(_as_text(item), dim)
            packed = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
            data.append({"object": "embedding", "index": index,
                         "embedding": packed if as_base64 else vec})
        tokens = sum(estimate_tokens(_as_text(item)) for item in inputs)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        payload = {"object": "list", "data": data, "model": body["model"], "usage": usage}
        return _json(200, payload, reply.headers if reply else {})

    def _models(self, body: Any) -> _Reply:
        data = [{"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "loopback"}
                for m in self.models]
        return _json(200, {"object": "list", "data": data})


def _completion(body: dict[str, Any], content: Content, finish: str | None) -> dict[str, Any]:
    text = _as_text(content)
    tool = chosen_tool(body)
    if tool is None:
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None,
                                   "annotations": []}
        finish = finish or "stop"
    else:
        call = {"id": "call_" + secrets.token_hex(12), "type": "function",
                "function": {"name": tool["name"], "arguments": text}}
        message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}
        # OpenAI reports "stop", not "tool_calls", when tool_choice forced a named function.
        forced = isinstance(body.get("tool_choice"), dict)
        finish = finish or ("stop" if forced else "tool_calls")
    prompt = sum(4 + estimate_tokens(_as_text(m.get("content") or "")) for m in body["messages"])
    prompt += 3 + (estimate_tokens(json.dumps(body["tools"])) if body.get("tools") else 0)
    completion = estimate_tokens(text)
    return {
        "id": "chatcmpl-" + secrets.token_hex(12),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "system_fingerprint": "fp_loopback",
        "service_tier": "default",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
    }


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Reply:
    return status, json.dumps(payload).encode(), dict(headers or {})


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    h.send_response(status)
    names = {k.lower() for k in headers}
    if "content-type" not in names:
        h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.send_header("x-request-id", "req_" + secrets.token_hex(16))
    for name, value in headers.items():
        h.send_header(name, value)
    # One request per connection: no idle keep-alive socket can hold shutdown hostage.
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(body)
