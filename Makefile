# The two commands of the README. Both set everything up first (idempotent).
.PHONY: run test setup eval eval-retrieval

RAG := .venv/bin/rag
# held-out splits: tune on *.dev.jsonl, report *.test.jsonl
ARTICLE_TEST := eval/questions/article.test.jsonl
NEWS_TEST := eval/questions/news.test.jsonl
NEWS2_TEST := eval/questions/news2.test.jsonl
EVAL_OUT ?= eval-out

setup:
	scripts/setup.sh

run: setup
	$(RAG) ingest
	$(RAG) ui

test:
	scripts/setup.sh --test
	$(MAKE) --no-print-directory eval-retrieval
	.venv/bin/python -m pytest -q -p no:cacheprovider

# Retrieval on the test splits of the three corpora, each in a store of its own; fails under the floor.
eval-retrieval:
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	RAG_DATA_DIR=$$tmp/article $(RAG) eval --retrieval-only $(ARTICLE_TEST) --corpus data \
		--out $$tmp/out-article --fail-under evidence_recall@1500=0.95 >/dev/null && \
	RAG_DATA_DIR=$$tmp/news $(RAG) eval --retrieval-only $(NEWS_TEST) --corpus eval/corpora/news \
		--out $$tmp/out-news --fail-under evidence_recall@1500=0.95 >/dev/null && \
	RAG_DATA_DIR=$$tmp/news2 $(RAG) eval --retrieval-only $(NEWS2_TEST) --corpus eval/corpora/news2 \
		--out $$tmp/out-news2 --fail-under evidence_recall@1500=0.95 >/dev/null && \
	echo "retrieval eval on the test splits: evidence recall >= 0.95 on all three corpora"

# The full answer eval with the default local model on the three test splits (slow: ~20 s a question),
# each corpus in a collection of its own in the normal data dir (so the model file is shared).
eval: setup
	RAG_COLLECTION=eval_article $(RAG) eval $(ARTICLE_TEST) --corpus data --out $(EVAL_OUT)/article
	RAG_COLLECTION=eval_news $(RAG) eval $(NEWS_TEST) --corpus eval/corpora/news --out $(EVAL_OUT)/news
	RAG_COLLECTION=eval_news2 $(RAG) eval $(NEWS2_TEST) --corpus eval/corpora/news2 --out $(EVAL_OUT)/news2
