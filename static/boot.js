// Says why the page stays blank where the app cannot run (a classic script,
// so it runs where the app's module does not):
// - opened as a file: browsers do not load WebAssembly modules from file://;
// - a browser whose WebAssembly lacks 128-bit SIMD, which the app's numeric
//   code is built with (Chrome 91, Firefox 89, Safari 16.4 and later have it).
function say(text) {
  addEventListener('DOMContentLoaded', () => {
    const p = document.createElement('p');
    p.className = 'boot-error';
    // Styled here: the stylesheet does not load from file:// either (its
    // integrity check needs CORS).
    p.style.cssText = 'font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0.8rem 1rem;'
      + ' border-radius: 6px; background: #fdecea; border: 1px solid #f3b8b2; color: #b3261e;';
    p.textContent = text;
    document.body.prepend(p);
  });
}

// The smallest module with a SIMD instruction (i8x16.splat, i8x16.popcnt).
const SIMD = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

if (location.protocol === 'file:') {
  say('gradlab must be served over http(s): browsers do not run its WebAssembly from a file:// page. '
    + 'Run ./x serve, or serve the dist/ folder with any static web server.');
} else if (!simd()) {
  say('gradlab needs WebAssembly with SIMD, which this browser lacks: use Chrome or Edge 91, Firefox 89, Safari 16.4 or later.');
}

function simd() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD);
  } catch {
    return true; // a page policy forbids the check: let the app try
  }
}
