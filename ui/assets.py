"""The page's CSS and the small scripts it needs (passed to ``Blocks.launch``).

* ``HEAD`` holds one click handler, installed once for the whole page (event
  delegation, capture phase, so Gradio's own link handling never opens a new tab):
  a click on ``a.cite`` opens the folded section that holds the target card, scrolls
  the card into view and flashes it.
* ``COPY_JS`` copies a string to the clipboard (with a fallback for plain-http pages,
  where ``navigator.clipboard`` does not exist).
* ``CONFIRM_DELETE_JS`` asks before deleting a document, in the browser's language, and
  passes ``CANCELLED`` instead of the document id when the answer is no.
"""

HEAD = """
<script>
document.addEventListener('click', function (e) {
  var a = e.target.closest ? e.target.closest('a.cite') : null;
  if (!a) return;
  e.preventDefault();
  e.stopPropagation();
  var id = (a.getAttribute('href') || '').replace(/^#/, '');
  var el = document.getElementById(id);
  if (!el) return;
  var d = el.closest('details');
  if (d) d.open = true;
  el.scrollIntoView({behavior: 'smooth', block: 'center'});
  document.querySelectorAll('.card.flash').forEach(function (c) { c.classList.remove('flash'); });
  el.classList.add('flash');
}, true);
</script>
"""

COPY_JS = """
(text) => {
  if (!text) return;
  const fallback = () => {
    const ta = document.createElement('textarea');
    ta.value = text; document.body.appendChild(ta); ta.select();
    try { document.execCommand('copy'); } finally { ta.remove(); }
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(fallback);
  } else { fallback(); }
  const b = document.querySelector('#copy-answer');
  if (b) { b.classList.add('copied'); setTimeout(() => b.classList.remove('copied'), 1500); }
}
"""

CANCELLED = "::cancelled"  # what the confirm script passes on when the user says no

CONFIRM_DELETE_JS = """
(doc) => {
  const CANCELLED = '::cancelled';
  if (!doc) return doc;
  const zh = (navigator.language || '').toLowerCase().startsWith('zh');
  const q = zh ? '删除文档 ' + doc + ' 及其全部分块?' : 'Delete ' + doc + ' and all its chunks?';
  return window.confirm(q) ? doc : CANCELLED;
}
"""

CSS = """
.gradio-container { max-width: 1400px !important; }
#app-title h1 { margin-bottom: 0; }
#app-title p { margin-top: 2px; color: var(--body-text-color-subdued); }
a.cite { font-weight: 600; text-decoration: none; color: var(--color-accent); padding: 0 1px;
  border-radius: 3px; cursor: pointer; }
a.cite:hover { background: var(--color-accent-soft); }
.rewrite { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 6px;
  border-left: 3px solid var(--border-color-primary); padding-left: 6px; }
.rewrite-q { font-style: italic; }
.refusal { border-left: 4px solid #d97706; background: rgba(217, 119, 6, 0.08); padding: 6px 10px;
  border-radius: 4px; }
.refusal-tag { font-size: 0.8em; font-weight: 600; color: #b45309; display: block; margin-bottom: 2px; }
.refusal-text { color: var(--body-text-color-subdued); }
.refusal-why { color: var(--body-text-color-subdued); font-size: 0.8em; margin-top: 0.3em; }
.dropped { font-size: 0.8em; color: var(--body-text-color-subdued); margin-top: 4px; }
.caret { animation: blink 1s steps(2) infinite; }
@keyframes blink { 50% { opacity: 0; } }
.pending { font-size: 0.8em; color: var(--body-text-color-subdued); font-style: italic; }
.error-box { border-left: 4px solid #dc2626; background: rgba(220, 38, 38, 0.08); padding: 8px 12px;
  border-radius: 4px; color: var(--body-text-color); white-space: pre-wrap; }
.error-hint { margin-top: 4px; font-size: 0.9em; color: var(--body-text-color-subdued); }
.ok-box { border-left: 4px solid #16a34a; background: rgba(22, 163, 74, 0.08); padding: 8px 12px;
  border-radius: 4px; }
#sources { max-height: 640px; overflow-y: auto; padding-right: 4px; }
.sources-empty { color: var(--body-text-color-subdued); font-size: 0.9em; padding: 8px; }
.store-warning { border-left: 3px solid #d97706; background: #fffbeb; color: #78350f; padding: 6px 8px; margin-bottom: 8px; font-size: 0.9em; }
.card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
  margin: 0 0 8px 0; background: var(--background-fill-primary); scroll-margin: 80px;
  transition: box-shadow 0.3s, border-color 0.3s; }
.card.cited { border-left: 4px solid var(--color-accent); }
.card.flash { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft); }
.card-head { font-size: 0.8em; color: var(--body-text-color-subdued); margin-bottom: 4px; }
.card-n { font-weight: 700; color: var(--color-accent); }
.card-body { font-size: 0.9em; line-height: 1.6; }
.card-body mark, .card-quote mark, .summary mark { background: #fde68a; color: #111; padding: 0 1px;
  border-radius: 2px; }
details.more summary, details.earlier summary { cursor: pointer; font-size: 0.85em;
  color: var(--body-text-color-subdued); margin: 4px 0 8px; }
.turn-label { font-size: 0.8em; font-weight: 600; margin: 6px 0; color: var(--body-text-color-subdued); }
.doc-view { white-space: pre-wrap; line-height: 1.7; font-size: 0.92em; max-height: 640px;
  overflow-y: auto; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px; }
.doc-legend { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.doc-view .gap { display: block; height: 6px; }
#sum-section .wrap { display: flex; flex-direction: column; align-items: stretch; gap: 4px; }
#sum-section label { width: 100%; }
.doc-heading { font-weight: 700; font-size: 1.05em; }
.doc-meta { color: var(--body-text-color-subdued); font-size: 0.9em; }
.caption { background: rgba(14, 165, 233, 0.12); font-style: italic; border-radius: 3px; }
.chunk-start, .chunk-end { font-size: 0.7em; font-weight: 700; color: #7c3aed; background: rgba(124, 58, 237, 0.1);
  border-radius: 3px; padding: 0 2px; margin: 0 1px; vertical-align: super; font-style: normal; }
.summary { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px;
  margin-bottom: 10px; }
.summary-head { margin-bottom: 6px; }
.summary-text { line-height: 1.7; margin-bottom: 6px; }
.badge { font-size: 0.75em; border-radius: 10px; padding: 1px 8px; }
.badge.cached { background: rgba(22, 163, 74, 0.15); color: #15803d; }
.badge.fresh { background: rgba(59, 130, 246, 0.15); color: #1d4ed8; }
.secs { font-size: 0.75em; color: var(--body-text-color-subdued); }
#copy-answer.copied { border-color: #16a34a; }
"""
