"""A scriptable fake chat model, shipped with the library for tests and demos.

``FakeChatModel(["reply 1", "reply 2"])`` answers each call with the next reply (a
reply may also be an exception instance, which is raised instead), or
``FakeChatModel(lambda messages: "...")`` computes the reply from the prompt. Every
prompt it receives is recorded in ``.calls``. ``.stream()`` yields the reply in small
chunks so streaming code paths run too. Running out of replies raises
``FakeModelExhausted`` (an ``AssertionError``) naming the unexpected prompt.

``rag.models.registry.override(FakeChatModel(...))`` makes a fake the default model: while
it is active, ``get_chat_model()`` (no spec, or a ``fake`` spec) returns it, and real
providers are blocked. The spec ``fake`` builds a fresh one with no replies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

Reply = str | BaseException
Script = Sequence[Reply] | Callable[[list[BaseMessage]], str]


class FakeModelExhausted(AssertionError):
    """The fake was called more often than it had replies for."""


class FakeChatModel(BaseChatModel):
    """Replies from a script, records prompts, streams in ``chunk_chars``-sized pieces."""

    replies: list[Reply] | Callable[[list[BaseMessage]], str] = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    chunk_chars: int = 2
    _next: int = PrivateAttr(default=0)

    def __init__(self, replies: Script = (), **kwargs: Any):
        super().__init__(replies=replies if callable(replies) else list(replies), **kwargs)

    @property
    def _llm_type(self) -> str:
        return "fake"

    def _reply(self, messages: list[BaseMessage], stop: list[str] | None) -> str:
        self.calls.append(list(messages))
        if callable(self.replies):
            text = self.replies(list(messages))
        else:
            if self._next >= len(self.replies):
                raise FakeModelExhausted(
                    f"FakeChatModel got call #{self._next + 1} but was scripted with "
                    f"{len(self.replies)} replies; last message: {messages[-1].content!r:.300}"
                )
            text = self.replies[self._next]
            self._next += 1
            if isinstance(text, BaseException):
                raise text
        for s in stop or ():
            text = text.split(s, 1)[0]
        return text

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = AIMessage(content=self._reply(messages, stop))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self._reply(messages, stop)
        for i in range(0, len(text), self.chunk_chars):
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(content=text[i : i + self.chunk_chars])
            )
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
