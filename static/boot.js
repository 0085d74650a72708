// Says why the page stays blank when it is opened as a file: browsers do not
// load WebAssembly modules from file:// (a classic script, so it runs there).
if (location.protocol === 'file:') {
  addEventListener('DOMContentLoaded', () => {
    const p = document.createElement('p');
    p.className = 'boot-error';
    // Styled here: the stylesheet does not load from file:// either (its
    // integrity check needs CORS).
    p.style.cssText = 'font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0.8rem 1rem;'
      + ' border-radius: 6px; background: #fdecea; border: 1px solid #f3b8b2; color: #b3261e;';
    p.textContent = 'gradlab must be served over http(s): browsers do not run its WebAssembly from a file:// page. '
      + 'Run ./x serve, or serve the dist/ folder with any static web server.';
    document.body.prepend(p);
  });
}
