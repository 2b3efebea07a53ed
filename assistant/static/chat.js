// The conversation (#chat): [n] links show and highlight their card, answers switch the cards panel, copy,
// Word export (through the server function export_docx) and feedback (the custom event "feedback").
// One delegated listener on `element`, so it keeps working when the answer HTML is re-rendered.
const box = element.closest('#chat') || element;
let stick = true;  // follow new answers unless the reader scrolled up to an earlier one
box.addEventListener('scroll', () => { stick = box.scrollHeight - box.scrollTop - box.clientHeight < 40; });

function cardsBox() { return document.querySelector('#cards'); }

function showCards(turn, n, sentence) {
  const panel = cardsBox();
  if (!panel) return;
  panel.querySelectorAll('.group').forEach(g => g.classList.toggle('active', g.dataset.turn === String(turn)));
  element.querySelectorAll('.turn').forEach(t => t.classList.toggle('selected', t.dataset.turn === String(turn)));
  panel.querySelectorAll('mark.hit').forEach(m => m.classList.remove('hit'));
  const r = panel.getBoundingClientRect();
  if (r.bottom < 0 || r.top > window.innerHeight) panel.scrollIntoView({block: 'start'});  // narrow window: below
  if (n === undefined) { panel.scrollTop = 0; return; }
  const card = panel.querySelector(`.group[data-turn="${turn}"] .card[data-n="${n}"]`);
  if (!card) return;
  panel.scrollTop += card.getBoundingClientRect().top - panel.getBoundingClientRect().top - 28;
  card.classList.remove('flash'); void card.offsetWidth; card.classList.add('flash');
  let marks = sentence !== undefined ? card.querySelectorAll(`mark.src[data-s~="${sentence}"]`) : [];
  if (!marks.length) marks = card.querySelectorAll('mark.src');
  marks.forEach(m => m.classList.add('hit'));
  if (marks.length) {
    const m = marks[0].getBoundingClientRect(), p = panel.getBoundingClientRect();
    if (m.bottom > p.bottom) panel.scrollTop += m.top - p.top - 60;
  }
}

function copyText(text, button) {
  const done = () => { const old = button.textContent; button.textContent = '已复制'; setTimeout(() => button.textContent = old, 1200); };
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); return; }
  const t = document.createElement('textarea'); t.value = text; document.body.appendChild(t); t.select();
  document.execCommand('copy'); t.remove(); done();
}

async function exportTurns(turns, button) {
  const label = button ? button.textContent : '';
  if (button) { button.disabled = true; button.textContent = '正在导出…'; }
  try {
    const r = await server.export_docx({turns});
    if (!r || r.error) throw new Error(r ? r.error : '导出失败');
    const bytes = Uint8Array.from(atob(r.b64), c => c.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], {type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'}));
    const a = document.createElement('a'); a.href = url; a.download = r.name; document.body.appendChild(a); a.click();
    setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 2000);
    if (button) button.textContent = '已导出';
  } catch (e) {
    if (button) button.textContent = '导出失败：' + (e.message || e);
  } finally {
    if (button) setTimeout(() => { button.disabled = false; button.textContent = label; }, 1600);
  }
}

function turnData(el) { return JSON.parse(el.dataset.export); }

element.addEventListener('click', (e) => {
  const link = e.target.closest('.cite-link');
  if (link) {
    e.preventDefault();
    showCards(link.dataset.turn, link.dataset.n, link.dataset.s);
    return;
  }
  const example = e.target.closest('.example');
  if (example) {
    const ta = document.querySelector('#question textarea');
    ta.value = example.dataset.q; ta.dispatchEvent(new Event('input', {bubbles: true})); ta.focus();
    return;
  }
  const turnEl = e.target.closest('.turn[data-turn]');
  if (!turnEl) return;
  const act = e.target.closest('.act');
  const form = turnEl.querySelector('.fb-form');
  if (!act) {
    if (!e.target.closest('.fb-form') && !window.getSelection().toString()) showCards(turnEl.dataset.turn);
    return;
  }
  if (act.classList.contains('show-cards')) showCards(turnEl.dataset.turn);
  else if (act.classList.contains('copy')) copyText(act.dataset.copy, act);
  else if (act.classList.contains('export')) exportTurns([turnData(turnEl)], act);
  else if (act.classList.contains('fb') && act.dataset.value === 'up') trigger('feedback', {id: turnEl.dataset.id, value: 'up', comment: ''});
  else if (act.classList.contains('fb') && act.dataset.value === 'down') { form.hidden = false; form.querySelector('textarea').focus(); }
  else if (act.classList.contains('fb-send')) {
    act.disabled = true;
    trigger('feedback', {id: turnEl.dataset.id, value: 'down', comment: form.querySelector('textarea').value});
  }
  else if (act.classList.contains('fb-cancel')) form.hidden = true;
});

// After every re-render: keep following the newest answer (always while one is being written).
watch('value', () => {
  if (stick || element.querySelector('.turn.pending')) box.scrollTop = box.scrollHeight;
});

window.policyQA = {
  exportAll: (button) => {
    const turns = [...element.querySelectorAll('.turn[data-export]')].map(turnData);
    if (turns.length) exportTurns(turns, button);
  },
  showCards,
};
