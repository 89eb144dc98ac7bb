"""What the four tabs of one page share: the ``AppContext`` and the session's state.

``Shared.create(ctx)``, called first inside the page's ``gr.Blocks``, makes in page order:

* ``overrides``: the session's Settings-tab choices (``gr.State``), read by the chat,
  the summaries and the debug search;
* ``turns``: the session's conversation (``gr.State``, see ``ui/chat.py``);
* ``copy_text``: a hidden textbox at the top of the page holding the newest answer as
  plain text, which the copy button's script reads;
* ``debug_df``: the retrieval-debug table. The Settings tab shows it, but every chat
  answer and the page load fill it too, so it is made here, before the Chat tab that
  writes to it, and the Settings tab places it (``render()``) in its layout.

Shortcut: the tabs get the whole ``Shared`` rather than only the parts each one uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .context import AppContext
from .i18n import msg
from .render import DEBUG_COLUMNS, DEBUG_WIDTHS

DEBUG_HEADERS = [msg(c, "en") for c in DEBUG_COLUMNS]


@dataclass
class Shared:
    ctx: AppContext
    overrides: gr.State
    turns: gr.State
    copy_text: gr.Textbox
    debug_df: gr.Dataframe

    @classmethod
    def create(cls, ctx: AppContext) -> Shared:
        return cls(
            ctx,
            overrides=gr.State({}),
            turns=gr.State([]),
            copy_text=gr.Textbox("", visible=False, elem_id="copy-text"),  # read by the copy button's script
            debug_df=gr.Dataframe(
                headers=DEBUG_HEADERS, interactive=False, elem_id="debug-table", wrap=True, column_widths=DEBUG_WIDTHS,
                render=False,
            ),
        )
