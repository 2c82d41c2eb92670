// Upload with a progress bar: the same multipart form the page posts without JavaScript.
for (const form of document.querySelectorAll('form[data-upload]')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const bar = form.querySelector('[data-progress]');
    const text = form.querySelector('[data-progress-text]');
    const button = form.querySelector('button[type=submit]');
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action || window.location.href);
    xhr.setRequestHeader('Accept', 'text/html');
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.floor((e.loaded / e.total) * 100);
      bar.hidden = false;
      bar.value = pct;
      text.textContent = pct + ' %';
    });
    xhr.addEventListener('load', () => {
      // The server answers with the page showing the result (or the errors): show it as it is.
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener('error', () => {
      button.disabled = false;
      text.textContent = '✗';
    });
    button.disabled = true;
    xhr.send(new FormData(form));
  });
}
