"""The one client module for chat models: any OpenAI-compatible server through LangChain's
ChatOpenAI. Timeouts, retries, token accounting and error mapping live here and nowhere else.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Literal

import openai
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr, ValidationError

from copygen.schemas import DraftBatch


class LLMError(Exception):
    """A failed model call, with a message fit for the person who asked."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class LLMConfig:
    base_url: str | None
    api_key: str
    model: str
    temperature: float = 0.7
    timeout: float = 60.0
    max_retries: int = 2
    method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema"


@dataclass(frozen=True)
class LLMResult:
    batch: DraftBatch
    tokens_in: int
    tokens_out: int
    latency_ms: int
    model: str
    parse_retries: int


def config_from_settings() -> LLMConfig | None:
    """None when no model is configured: the caller then uses the offline composer."""
    from django.conf import settings

    if not (settings.OPENAI_BASE_URL or settings.OPENAI_API_KEY):
        return None
    return LLMConfig(
        base_url=settings.OPENAI_BASE_URL,
        # Local servers (Ollama, llama.cpp, vLLM) accept any key but the client needs one.
        api_key=settings.OPENAI_API_KEY or "not-needed",
        model=settings.LLM_MODEL or "gpt-4o-mini",
        temperature=settings.LLM_TEMPERATURE,
        timeout=settings.LLM_TIMEOUT,
        max_retries=settings.LLM_MAX_RETRIES,
        method=settings.LLM_STRUCTURED_OUTPUT,  # type: ignore[arg-type]  # validated by env_choice
    )


def _chat(config: LLMConfig) -> ChatOpenAI:
    # The openai client retries 408/409/429/5xx, timeouts and connection errors with
    # exponential backoff (max_retries); we add no second retry layer on top.
    return ChatOpenAI(
        base_url=config.base_url, api_key=SecretStr(config.api_key), model=config.model,
        temperature=config.temperature, timeout=config.timeout, max_retries=config.max_retries,
    )


def generate_structured(
    system: str, user: str, config: LLMConfig, schema: type[BaseModel] = DraftBatch
) -> LLMResult:
    """Ask for ``schema``; on a parse failure ask once more, quoting the error."""
    runnable = _chat(config).with_structured_output(schema, method=config.method, include_raw=True)
    messages: list = [SystemMessage(system), HumanMessage(user)]
    tokens_in = tokens_out = 0
    started = time.monotonic()
    for attempt in range(2):
        out = _invoke(runnable, messages, config)
        used = _usage(out.get("raw"))
        tokens_in, tokens_out = tokens_in + used[0], tokens_out + used[1]
        parsed, error = out.get("parsed"), out.get("parsing_error")
        if parsed is not None and error is None:
            return LLMResult(
                batch=parsed, tokens_in=tokens_in, tokens_out=tokens_out,
                latency_ms=int((time.monotonic() - started) * 1000), model=config.model,
                parse_retries=attempt,
            )
        raw = out.get("raw")
        messages = messages + [
            raw if isinstance(raw, AIMessage) else AIMessage(_raw_text(error)),
            HumanMessage(f"That reply did not match the schema ({_short(error)}). "
                         "Reply again with JSON only, matching the schema exactly."),
        ]
    raise LLMError(f"The model returned malformed output twice: {_short(error)}")


def _invoke(runnable, messages, config: LLMConfig) -> dict:
    try:
        return runnable.invoke(messages)
    except (ValidationError, json.JSONDecodeError) as exc:
        # With json_schema the openai client parses the reply itself and raises instead of
        # handing LangChain a parsing_error; treat both the same way.
        return {"raw": None, "parsed": None, "parsing_error": exc}
    except openai.APITimeoutError:
        raise LLMError(f"The model server did not answer within {config.timeout:.0f} s "
                       "(after retries).", transient=True) from None
    except openai.RateLimitError:
        raise LLMError("The model server is rate limiting us (HTTP 429) even after "
                       "backing off; try again in a minute.", transient=True) from None
    except openai.APIConnectionError:
        raise LLMError(f"Could not reach the model server at {config.base_url or 'the default URL'}.",
                       transient=True) from None
    except openai.APIStatusError as exc:
        transient = exc.status_code >= 500
        raise LLMError(f"The model server answered HTTP {exc.status_code}: "
                       f"{_short(exc.message)}", transient=transient) from None
    except openai.OpenAIError as exc:
        raise LLMError(f"The model call failed: {_short(exc)}") from None


def _raw_text(error) -> str:
    """The rejected reply, when the exception kept it, so the model sees what it sent."""
    if isinstance(error, ValidationError):
        for item in error.errors():
            if isinstance(item.get("input"), str):
                return item["input"][:2000]
    return "(unparseable reply)"


def _usage(raw) -> tuple[int, int]:
    meta = getattr(raw, "usage_metadata", None) or {}
    return int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))


def _short(value, limit: int = 300) -> str:
    text = str(value or "unknown error").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
