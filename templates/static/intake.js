// Print buttons of the printable forms (no inline scripts: the CSP allows only same-origin files).
for (const button of document.querySelectorAll('[data-print]')) button.addEventListener('click', () => window.print());
