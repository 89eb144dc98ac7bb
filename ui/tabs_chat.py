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
Shortcut: answers are produced one at a time, for all sessions together (Gradio's
default of one running event per listener; see ``ui/app.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from . import chat
from .assets import COPY_JS
from .context import AppContext
from .i18n import T
from .shared import Shared


@dataclass
class ChatTab:
    examples: gr.Dataset
    sources: gr.HTML


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

    def respond(q, ts, ov, request: gr.Request):
        yield from chat.respond(ctx, q, ts, ov, request)

    ask_inputs = [question, shared.turns, shared.overrides]
    chat_outputs = [chatbot, sources, shared.turns, shared.copy_text, shared.debug_df, question]
    # every answer goes through one queue for the model ("model"): the local model runs one at a
    # time, a model server RAG_MODEL_CONCURRENCY at once; searching, uploading and reading never wait
    model_queue = {"concurrency_id": "model", "concurrency_limit": max(1, ctx.base.model_concurrency)}
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
    return ChatTab(examples=examples, sources=sources)


def examples_update(ctx: AppContext):
    """The examples for the documents now stored, hidden when there are none."""
    samples = [[q] for q in chat.example_questions(ctx)]
    return gr.update(samples=samples, visible=bool(samples))
