// Says why the page stays blank when it is opened as a file: browsers do not
// load WebAssembly modules from file:// (a classic script, so it runs there).
if (location.protocol === 'file:') {
  addEventListener('DOMContentLoaded', () => {
    const p = document.createElement('p');
    p.className = 'boot-error';
    p.textContent = 'gradlab must be served over http(s): browsers do not run its WebAssembly from a file:// page. '
      + 'Run ./x serve, or serve the dist/ folder with any static web server.';
    document.body.prepend(p);
  });
}
