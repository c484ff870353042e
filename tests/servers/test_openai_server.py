"""The loopback OpenAI server, driven by the real `openai` and `langchain_openai` clients."""

from __future__ import annotations

import json
import socket
import threading
import time

import openai
import pydantic
import pytest
from langchain_openai import ChatOpenAI

from tests.servers.openai_server import OpenAIServer, hashed_embedding

MODEL = "gpt-4o-mini"
VARIANTS = {"variants": [{"text": "Your cart misses you. Reply STOP to opt out.", "angle": "care"}]}


class Variant(pydantic.BaseModel):
    text: str
    angle: str


class VariantBatch(pydantic.BaseModel):
    variants: list[Variant]


@pytest.fixture
def server():
    yield from OpenAIServer.serve()


def client_for(server: OpenAIServer, **options) -> openai.OpenAI:
    options.setdefault("max_retries", 0)
    return openai.OpenAI(base_url=server.base_url, api_key="test", **options)


def ask(client: openai.OpenAI, **extra):
    return client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Write one variant."}], **extra
    )


def test_it_answers_a_json_schema_request_with_a_scripted_reply_the_client_parses(server):
    server.enqueue(content=VARIANTS)
    completion = client_for(server).chat.completions.parse(
        model=MODEL,
        messages=[{"role": "user", "content": "Write one variant."}],
        response_format=VariantBatch,
    )
    assert completion.choices[0].message.parsed == VariantBatch.model_validate(VARIANTS)
    assert completion.choices[0].finish_reason == "stop"
    assert completion.id.startswith("chatcmpl-") and completion.model == MODEL
    assert completion.created > 0
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    sent = server.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.headers["authorization"] == "Bearer test"
    assert sent.json["response_format"]["type"] == "json_schema"
    assert sent.json["response_format"]["json_schema"]["name"] == "VariantBatch"


def test_it_fills_the_requested_schema_when_nothing_is_scripted(server):
    completion = client_for(server).chat.completions.parse(
        model=MODEL, messages=[{"role": "user", "content": "Go."}], response_format=VariantBatch
    )
    assert len(completion.choices[0].message.parsed.variants) == 1


def test_it_asks_the_responder_when_the_queue_is_empty(server):
    server.responder = lambda request: request["messages"][-1]["content"].upper()
    assert ask(client_for(server)).choices[0].message.content == "WRITE ONE VARIANT."


def test_the_client_retries_a_429_after_retry_after_and_then_succeeds(server):
    server.enqueue(status=429, headers={"retry-after-ms": "20"})
    server.enqueue(content="Back in stock!")
    completion = ask(client_for(server, max_retries=2))
    assert completion.choices[0].message.content == "Back in stock!"
    assert len(server.requests) == 2


def test_a_429_without_retries_raises_rate_limit_error_with_the_openai_body(server):
    server.enqueue(status=429, headers={"retry-after": "1"})
    with pytest.raises(openai.RateLimitError) as raised:
        ask(client_for(server))
    assert raised.value.code == "rate_limit_exceeded"
    assert raised.value.response.headers["retry-after"] == "1"


def test_a_500_raises_internal_server_error(server):
    server.enqueue(status=500)
    with pytest.raises(openai.InternalServerError):
        ask(client_for(server))


def test_a_reply_slower_than_the_client_timeout_raises_api_timeout_error(server):
    server.enqueue(content="too late", delay=5)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        ask(client_for(server, timeout=0.3))
    assert time.monotonic() - started < 3


def test_malformed_json_content_reaches_the_parser_and_fails_validation(server):
    server.enqueue(content='{"variants": [{"text": "cut off')
    with pytest.raises(pydantic.ValidationError):
        client_for(server).chat.completions.parse(
            model=MODEL, messages=[{"role": "user", "content": "Go."}],
            response_format=VariantBatch,
        )


def test_a_raw_body_is_sent_verbatim(server):
    server.enqueue(raw_body="<html>Bad gateway</html>", status=502,
                   headers={"Content-Type": "text/html"})
    with pytest.raises(openai.InternalServerError) as raised:
        ask(client_for(server))
    assert raised.value.status_code == 502
    assert "Bad gateway" in raised.value.response.text


def test_json_object_mode_is_refused_without_the_word_json_as_openai_does(server):
    with pytest.raises(openai.BadRequestError):
        ask(client_for(server), response_format={"type": "json_object"})


LOOKUP_OFFER = {
    "type": "function",
    "function": {
        "name": "lookup_offer",
        "description": "Find the offer the brand allows for a product.",
        "parameters": {
            "type": "object",
            "properties": {"sku": {"type": "string"}},
            "required": ["sku"],
        },
    },
}


def test_function_calling_round_trip(server):
    client = client_for(server)
    messages = [{"role": "user", "content": "What offer can I make on SKU A1?"}]
    server.enqueue(content={"sku": "A1"})
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[LOOKUP_OFFER])
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "lookup_offer"
    assert json.loads(call.function.arguments) == {"sku": "A1"}

    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"offer": "free shipping"}'},
    ]
    server.enqueue(content="Offer free shipping on A1.")
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[LOOKUP_OFFER])
    assert second.choices[0].message.content == "Offer free shipping on A1."
    assert second.choices[0].finish_reason == "stop"
    assert server.requests[-1].json["messages"][-1]["tool_call_id"] == call.id


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_langchain_structured_output_works_against_it(server, method):
    server.enqueue(content=VARIANTS)
    model = ChatOpenAI(base_url=server.base_url, api_key="test", model=MODEL, max_retries=0)
    chain = model.with_structured_output(VariantBatch, method=method)
    result = chain.invoke("Write one variant as JSON.")
    assert result == VariantBatch.model_validate(VARIANTS)
    sent = server.requests[-1].json
    if method == "function_calling":
        assert sent["tool_choice"]["function"]["name"] == "VariantBatch"
    else:
        expected = {"json_schema": "json_schema", "json_mode": "json_object"}[method]
        assert sent["response_format"]["type"] == expected


def test_embeddings_are_deterministic_vectors_of_the_configured_dimension(server):
    client = client_for(server)
    result = client.embeddings.create(model="text-embedding-3-small", input=["sale", "stop"])
    again = client.embeddings.create(model="text-embedding-3-small", input="sale")
    vectors = [item.embedding for item in result.data]
    assert [len(v) for v in vectors] == [384, 384]
    assert vectors[0] == again.data[0].embedding != vectors[1]
    assert vectors[0] == pytest.approx(hashed_embedding("sale", 384), abs=1e-6)
    assert result.usage.prompt_tokens > 0
    assert server.requests[0].json["encoding_format"] == "base64"  # the client's default


def test_embeddings_honour_the_dimensions_parameter_and_float_format(server):
    result = client_for(server).embeddings.create(
        model="text-embedding-3-small", input="sale", dimensions=8, encoding_format="float"
    )
    assert result.data[0].embedding == hashed_embedding("sale", 8)


def test_it_lists_models(server):
    assert [m.id for m in client_for(server).models.list()] == list(server.models)


def test_scripted_replies_are_queued_per_endpoint(server):
    server.enqueue(status=500, endpoint="embeddings")
    server.enqueue(content="chat reply")
    client = client_for(server)
    assert ask(client).choices[0].message.content == "chat reply"
    with pytest.raises(openai.InternalServerError):
        client.embeddings.create(model="text-embedding-3-small", input="sale")


def test_a_configured_api_key_is_enforced():
    with OpenAIServer(api_key="sk-right") as strict:
        with pytest.raises(openai.AuthenticationError):
            ask(client_for(strict))
        assert ask(openai.OpenAI(base_url=strict.base_url, api_key="sk-right")).choices


def test_it_shuts_down_cleanly_even_with_a_reply_still_sleeping():
    threads_before = threading.active_count()
    started = OpenAIServer().start()
    assert started.base_url.startswith("http://127.0.0.1:")
    port = int(started.base_url.split(":")[2].split("/")[0])
    started.enqueue(content="late", delay=60)
    with pytest.raises(openai.APITimeoutError):
        ask(client_for(started, timeout=0.2))
    stopping = time.monotonic()
    started.stop()
    assert time.monotonic() - stopping < 2
    assert threading.active_count() == threads_before
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
