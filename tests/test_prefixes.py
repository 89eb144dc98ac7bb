"""Saved KV states of prompt starts (rag.models.prefixes): the store on made-up states, and
with the real local model, a restored start that the answer call does not evaluate again."""

import numpy as np
import pytest

from rag.models.prefixes import PrefixStates, common_prefix


def test_common_prefix():
    a = np.array([1, 2, 3, 4], np.int32)
    assert common_prefix(a, np.array([1, 2, 9], np.int32)) == 2
    assert common_prefix(a, np.array([1, 2], np.int32)) == 2
    assert common_prefix(a, np.array([7], np.int32)) == 0
    assert common_prefix(a, np.array([], np.int32)) == 0


def test_the_longest_shared_start_is_found_and_loaded(tmp_path):
    states = PrefixStates(tmp_path, capacity=1 << 20)
    assert states.longest([1, 2, 3]) == (None, 0)
    assert states.save([1, 2, 3, 4], b"short")
    assert states.save([1, 2, 3, 5, 6, 7], b"long")
    path, n = states.longest([1, 2, 3, 5, 6, 9, 9])
    assert n == 5
    tokens, state = states.load(path)
    assert tokens.tolist() == [1, 2, 3, 5, 6, 7] and state == b"long"
    assert states.has([1, 2, 3, 4]) and not states.has([1, 2, 3])
    # another process reading the folder sees the same states
    again = PrefixStates(tmp_path, capacity=1 << 20)
    assert again.longest([1, 2, 3, 4, 0])[1] == 4


def test_least_recently_used_states_go_when_full(tmp_path):
    import os

    states = PrefixStates(tmp_path, capacity=3000)
    assert states.save([1], b"x" * 1000)
    assert states.save([2], b"x" * 1000)
    first, _ = states.longest([1])
    os.utime(first, (1, 1))  # [1] used long ago
    assert not states.save([3], b"x" * 1000)  # over capacity: something had to go
    assert not states.has([1]) and states.has([2]) and states.has([3])
    assert not first.exists()


def test_a_state_deleted_by_another_process_is_a_miss(tmp_path):
    states = PrefixStates(tmp_path, capacity=1 << 20)
    states.save([1, 2], b"s")
    path, _ = states.longest([1, 2])
    path.unlink()
    assert states.load(path) is None
    assert states.longest([1, 2]) == (None, 0)


def test_a_truncated_file_is_skipped_and_dropped(tmp_path):
    (tmp_path / "bad.kv").write_bytes(b"\x01")
    assert PrefixStates(tmp_path, capacity=1 << 20).index == {}
    states = PrefixStates(tmp_path, capacity=1 << 20)
    states.save([1, 2, 3], b"state")
    path, _ = states.longest([1, 2, 3])
    path.write_bytes(path.read_bytes()[:6])  # cut inside the tokens
    assert states.load(path) is None
    assert not path.exists() and states.longest([1, 2, 3]) == (None, 0)


@pytest.mark.slow
def test_a_saved_start_is_not_evaluated_again(real_models, tmp_path):
    """The real model: after ``remember`` saved a prompt's start, another prompt starting the
    same way evaluates only its own end, even when llama.cpp's context held something else;
    a state llama.cpp cannot restore is dropped and the prompt evaluated whole."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from rag.models import get_chat_model
    from rag.models.files import ensure_local_model
    from rag.settings import Settings, default_data_dir

    model_path = ensure_local_model(Settings(data_dir=default_data_dir()))
    settings = Settings(data_dir=tmp_path, chat_model=f"local:{model_path}", llm_max_tokens=8)
    model = get_chat_model(settings=settings)
    system = SystemMessage("你是严谨的文档问答助手,只根据资料回答问题。")
    passage = "资料:\n[1] (退役军人) 截至3月19日,全区共有181名退役军人加入志愿先锋队,参与核酸检测、物资配送等工作。"
    assert model.remember([system, HumanMessage(passage + "\n问题:")]) == "saved"
    assert model.remember([system, HumanMessage(passage + "\n问题:")]) == "known"

    def evaluated(question: str) -> tuple[int, int]:
        usage = model.invoke([system, HumanMessage(f"{passage}\n问题:{question}")]).usage_metadata
        return usage["input_tokens"], usage["input_tokens"] - usage["input_token_details"]["cache_read"]

    model.invoke([HumanMessage("别的话题:中国的首都是哪里?")])  # the context now holds another prompt
    total, fresh = evaluated("有多少名退役军人加入志愿先锋队?")
    assert fresh < 20 < total  # only the question and the template's end

    from rag.models.local import _load_llama, _prompt_tokens

    llama = _load_llama(model.model_path, model.n_ctx, model.n_threads)
    prompt = [{"role": "system", "content": system.content}, {"role": "user", "content": passage + "\n问题:再问一次"}]
    n = model.invoke([system, HumanMessage(passage + "\n问题:再问一次")]).usage_metadata["input_tokens"]
    assert llama.input_ids[:n].tolist() == _prompt_tokens(llama, prompt)  # the tokens llama.cpp evaluated

    states = model._states()
    [(path, key)] = states.index.items()
    path.write_bytes(path.read_bytes()[: 4 * (len(key) + 1)] + b"not a llama.cpp state")
    model.invoke([HumanMessage("别的话题:中国的首都是哪里?")])
    total, fresh = evaluated("志愿先锋队做了哪些工作?")
    assert fresh > total - 10  # evaluated (nearly) whole: only the chat template's first tokens shared
    assert states.index == {} and not path.exists()
