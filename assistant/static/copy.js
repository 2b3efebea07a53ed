// Copy buttons of the cards panel and the lookup results: one delegated listener, so it survives re-renders.
element.addEventListener('click', (e) => {
  const b = e.target.closest('.copy-btn');
  if (!b) return;
  e.preventDefault();
  const text = b.getAttribute('data-copy');
  const done = () => { const old = b.textContent; b.textContent = '已复制'; setTimeout(() => b.textContent = old, 1200); };
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); }
  else { const t = document.createElement('textarea'); t.value = text; document.body.appendChild(t); t.select(); document.execCommand('copy'); t.remove(); done(); }
});
