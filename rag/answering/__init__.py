"""Answering: the chain (``chain``) that retrieves, asks the model and checks what it wrote
against the sources (``citations``), whether the answer addresses the question
(``answerability``, ``pinyin_names``); it reports progress as typed ``events``."""

from rag.answering.answer import Answer, Turn
from rag.answering.chain import REFUSAL, AnswerChain

__all__ = ["REFUSAL", "Answer", "AnswerChain", "Turn"]
