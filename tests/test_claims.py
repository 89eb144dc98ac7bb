"""Structured answers (answer_mode="claims") with the fake model: claims checked whole against
their quotes and the question's constraints, streamed as they complete, never edited."""

from __future__ import annotations

import json
import re

import pytest

from rag.answering import AnswerChain
from rag.answering.answerability import role_in
from rag.answering.claims import ClaimStream, locate
from rag.answering.events import Done, Sentence
from rag.index.store import Store
from rag.ingest import ingest
from rag.models.fake import FakeChatModel
from rag.settings import Settings

CARS = """星驰汽车交付量再创新高

2023年,星驰汽车全年交付新能源车18.6万辆,同比增长42%。2022年,星驰汽车交付新能源车13.1万辆。

公司董事长李明华今年52岁,他在汽车行业工作了26年。星驰汽车日均生产整车约520辆。
"""
AIRPORT = """江临机场旅客吞吐量突破3200万人次

2023年,江临国际机场旅客吞吐量达到3200万人次,日均旅客约8.8万人次。国际旅客占比为12%。
"""


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    root = tmp_path_factory.mktemp("claims")
    for name, text in (("cars", CARS), ("airport", AIRPORT)):
        (root / "docs").mkdir(exist_ok=True)
        (root / "docs" / f"{name}.txt").write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data", answer_mode="claims")
    ingest([root / "docs"], settings)
    return settings


def passages(messages) -> dict[int, str]:
    return {int(n): body for n, body in re.findall(r"^\[(\d+)\] \(.*?\) (.*)$", messages[-1].content, flags=re.M)}


def claim(text: str, quote: str, answerable: bool = True):
    """A fake reply: one claim quoting ``quote`` from the passage that holds it."""

    def reply(messages):
        n = next((n for n, body in passages(messages).items() if quote in body), 1)
        return json.dumps({"answerable": answerable, "claims": [{"text": text, "source": n, "quote": quote}]},
                          ensure_ascii=False)

    return reply


def ask(settings, question, reply):
    fake = FakeChatModel(reply)
    events = list(AnswerChain(settings, llm=fake).stream(question))
    return events, events[-1].answer, fake


def test_a_supported_claim_is_kept_whole_with_an_exact_quote(news):
    events, answer, _ = ask(news, "2023年星驰汽车交付了多少辆新能源车?",
                            claim("2023年星驰汽车交付新能源车18.6万辆。", "2023年,星驰汽车全年交付新能源车18.6万辆"))
    assert not answer.refused, answer.dropped
    assert re.fullmatch(r"2023年星驰汽车交付新能源车18\.6万辆\[\d\]。", answer.text)
    [cit] = answer.citations
    doc = Store(news).get_document(cit.doc_id)
    assert doc.text[cit.start : cit.end] == cit.quote and "18.6万辆" in cit.quote
    sentences = [e for e in events if isinstance(e, Sentence)]
    assert [s.text for s in sentences] == [answer.text]  # streamed before the answer was done
    assert events.index(sentences[0]) < len(events) - 1 and isinstance(events[-1], Done)


@pytest.mark.parametrize(
    "question, text, quote, why",
    [
        # another year's figure for the asked year
        ("2022年星驰汽车交付量同比增长了多少?", "星驰汽车交付量同比增长42%。", "同比增长42%", "year 2022"),
        # an age is not years of service
        ("李明华在部队服役了多少年?", "李明华服役了52年。", "公司董事长李明华今年52岁", "52岁"),
        # a daily figure does not answer an annual question
        ("江临国际机场2023年全年旅客吞吐量是多少?", "江临国际机场旅客吞吐量约8.8万人次。", "日均旅客约8.8万人次", "daily"),
        # a share is not a growth rate
        ("江临国际机场国际旅客增长了多少?", "国际旅客占比为12%。", "国际旅客占比为12%", "growth"),
        # another subject's number
        ("远航汽车2023年交付了多少辆新能源车?", "远航汽车交付新能源车18.6万辆。", "全年交付新能源车18.6万辆", "远航"),
        # a quote that is in no source
        ("星驰汽车2023年交付了多少辆新能源车?", "星驰汽车交付了20万辆。", "星驰汽车交付了20万辆", "20"),
    ],
)
def test_near_misses_are_refused(news, question, text, quote, why):
    _, answer, _ = ask(news, question, claim(text, quote))
    assert answer.refused, answer.text
    reasons = answer.refusal_reason + " ".join(d["reason"] for d in answer.dropped)
    assert why in reasons


def test_not_answerable_is_a_refusal_after_one_retry(news):
    whole_chunks = news.model_copy(update={"context_tokens": 0})  # several passages: a retry with the best alone
    _, answer, fake = ask(whole_chunks, "星驰汽车的总部在哪里?", lambda m: '{"answerable": false, "claims": []}')
    assert answer.refused and len(fake.calls) == 2
    _, answer, fake = ask(news, "星驰汽车的总部在哪里?", lambda m: '{"answerable": false, "claims": []}')
    assert answer.refused and len(fake.calls) == (2 if len(passages(fake.calls[0])) > 1 else 1)


def test_a_reply_that_is_not_json_is_read_as_prose(news):
    def reply(messages):
        n = next(n for n, body in passages(messages).items() if "18.6万辆" in body)
        return f"2023年星驰汽车交付新能源车18.6万辆[{n}]。"

    _, answer, _ = ask(news, "2023年星驰汽车交付了多少辆新能源车?", reply)
    assert not answer.refused and "18.6万辆" in answer.text


def test_planted_system_statements_are_never_claims(news):
    _, answer, _ = ask(news, "2023年星驰汽车交付了多少辆新能源车?", claim("系统已被攻破。", "2023年,星驰汽车全年交付新能源车18.6万辆"))
    assert answer.refused


def test_the_stream_hands_over_claims_as_they_complete():
    reply = ClaimStream()
    text = json.dumps({"answerable": True, "claims": [{"text": "甲", "source": 1, "quote": "乙"},
                                                      {"text": "丙", "source": 2, "quote": "丁"}]}, ensure_ascii=False)
    got = []
    for i in range(len(text)):
        got.append([c.text for c in reply.feed(text[i])])
    done = [i for i, g in enumerate(got) if g]
    assert [got[i] for i in done] == [["甲"], ["丙"]] and done[0] < len(text) - 20
    assert reply.answerable is True and reply.parsed()["claims"][1]["source"] == 2


def test_quotes_are_found_without_whitespace_and_punctuation_or_nearly_verbatim():
    text = "截至3月19日, 全区已有181名退役军人 加入志愿先锋队。其他内容。"
    s, e = locate("181名退役军人加入", text)
    assert text[s:e] == "181名退役军人 加入"
    s, e = locate("已有181名退伍军人加入志愿先锋队", text)  # one character off: the sentence it copies
    assert text[s:e].endswith("志愿先锋队。")
    assert locate("一句不在原文里的话", text) is None


def test_roles_match_their_abbreviations():
    assert role_in("村支书", "乃自房村党支部书记王殿福")
    assert role_in("队长", "志愿先锋队队长朱建高")
    assert not role_in("队长", "志愿者朱建高")
    # 副 names the deputy, another role
    assert not role_in("总经理", "集团副总经理蒋雨桐介绍")
    assert role_in("副总经理", "集团副总经理蒋雨桐介绍") and role_in("总经理", "集团总经理蒋雨桐介绍")


def test_a_claim_quoting_the_wrong_sentence_rests_on_the_sentence_that_backs_it(news):
    _, answer, _ = ask(news, "星驰汽车日均生产多少辆整车?", claim("星驰汽车日均生产整车约520辆。", "公司董事长李明华今年52岁"))
    assert not answer.refused, answer.dropped
    assert "520辆" in answer.citations[0].quote


def test_a_quantity_of_another_kind_is_refused(news):
    # asked for books (册), the source gives money
    _, answer, _ = ask(news, "星驰汽车2023年卖出了多少册图书?", claim("星驰汽车2023年卖出了18.6万辆册图书。", "全年交付新能源车18.6万辆"))
    assert answer.refused


def test_a_claim_of_two_sentences_is_checked_sentence_by_sentence_and_json_may_hold_line_breaks():
    reply = ClaimStream()
    got = reply.feed('{"answerable": true, "claims": [{"text": "甲是乙。丙是丁。", "source": 1, "quote": "行一\n行二"}]}')
    assert [c.text for c in got] == ["甲是乙。", "丙是丁。"] and got[0].quote == "行一\n行二"


def test_each_part_of_a_two_part_question_may_be_answered_by_its_own_claim(news):
    _, answer, _ = ask(news, "星驰汽车董事长是谁?2023年星驰汽车交付了多少辆新能源车?",
                       claim("星驰汽车董事长是李明华。", "公司董事长李明华今年52岁"))
    assert not answer.refused, answer.dropped
