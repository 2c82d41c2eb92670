// The calendar page's print button (shown only when scripts run; Ctrl+P prints the same page).
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
