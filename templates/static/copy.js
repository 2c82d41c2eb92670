// "Copy" buttons for secrets shown once (a new token). The page works without this script: the
// buttons stay hidden and the token can be selected by hand.
document.querySelectorAll('button[data-copy]').forEach((button) => {
  const target = document.getElementById(button.dataset.copy);
  if (!target || !navigator.clipboard) return;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(target.textContent.trim()).then(() => {
      button.textContent = button.dataset.copied || label;
      setTimeout(() => (button.textContent = label), 2000);
    });
  });
});
