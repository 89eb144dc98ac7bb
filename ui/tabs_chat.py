"""The Chat tab's layout and events; what its handlers do is in ``ui/chat.py``.

``build_chat_tab(shared)`` lays out the conversation, the question box, the example
questions, the new-chat and copy buttons and the source panel, and wires them:

* Enter in the question box (the app's one API endpoint, ``ask``), the Ask button and
  a click on an example (which first copies it into the box) stream ``chat.respond``
  into the chatbot, the sources, the session's turns, the copy text, the retrieval
  table and the question box;
* New chat and the chatbot's own clear button empty all of those but the question;
* Copy hands the copy text to a browser script, without a server round trip.

It returns the ``ChatTab`` parts other tabs refill: the examples (after an upload or a
delete) and the sources (on page load). ``examples_update(ctx)`` is that refill.
The scope selector limits the question to some documents (none chosen: all of them).
Answers wait for the model in the process's one fair queue (``rag.models.queue``), shared with the
HTTP API; the bubble shows the question's place in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from . import chat
from .assets import COPY_JS
from .context import AppContext
from .i18n import T
from .shared import Shared

CHAT_THREADS = 32  # chat questions handled at once (most of them wait in the model queue)


@dataclass
class ChatTab:
    examples: gr.Dataset
    sources: gr.HTML
    scope: gr.Dropdown


def build_chat_tab(shared: Shared) -> ChatTab:
    ctx = shared.ctx
    with gr.Tab(T("tab_chat"), id="chat", elem_id="tab-chat"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label=T("chat"), elem_id="chatbot", height=520, buttons=[],
                    feedback_options=None, group_consecutive_messages=False,
                )
                with gr.Row():
                    question = gr.Textbox(
                        label=T("question"), placeholder=T("question_ph"), elem_id="question",
                        scale=5, lines=1, max_lines=4, autofocus=True,
                    )
                    ask = gr.Button(T("ask"), variant="primary", elem_id="ask", scale=1)
                scope = gr.Dropdown(
                    label=T("scope"), choices=[], value=[], multiselect=True, elem_id="scope", allow_custom_value=False,
                )
                examples = gr.Dataset(
                    label=T("examples"), components=[question], samples=[], elem_id="examples",
                    samples_per_page=6,
                )
                with gr.Row():
                    new = gr.Button(T("new_chat"), elem_id="new-chat", size="sm")
                    copy = gr.Button(T("copy"), elem_id="copy-answer", size="sm")
            with gr.Column(scale=2):
                gr.Markdown("### " + T("sources"))
                sources = gr.HTML(chat.render_sources([], "en"), elem_id="sources", padding=False)

    def respond(q, ts, ov, docs, request: gr.Request):
        yield from chat.respond(ctx, q, ts, ov, request, docs)

    ask_inputs = [question, shared.turns, shared.overrides, scope]
    chat_outputs = [chatbot, sources, shared.turns, shared.copy_text, shared.debug_df, question]
    # answers wait for the model in the process's one fair queue (rag.models.queue), shared with
    # the HTTP API, and show their place in it; here they only need a thread each. Searching,
    # uploading and reading never wait for the model.
    model_queue = {"concurrency_id": "chat", "concurrency_limit": CHAT_THREADS}
    question.submit(respond, ask_inputs, chat_outputs, api_name="ask", **model_queue)
    ask.click(respond, ask_inputs, chat_outputs, api_name=False, **model_queue)
    examples.click(lambda sample: sample[0] if sample else "", [examples], [question], api_name=False).then(
        respond, ask_inputs, chat_outputs, api_name=False, **model_queue
    )

    def new_chat(request: gr.Request):
        return chat.new_chat(request)

    cleared = [chatbot, sources, shared.turns, shared.copy_text, shared.debug_df]
    new.click(new_chat, None, cleared, api_name=False)
    chatbot.clear(new_chat, None, cleared, api_name=False)
    copy.click(None, [shared.copy_text], None, js=COPY_JS, api_name=False)
    return ChatTab(examples=examples, sources=sources, scope=scope)


def examples_update(ctx: AppContext):
    """The examples for the documents now stored, hidden when there are none."""
    samples = [[q] for q in chat.example_questions(ctx)]
    return gr.update(samples=samples, visible=bool(samples))
