// Hosting: the built site as a static host serves it, from a sub-path and
// under a strict Content-Security-Policy (the README's hosting section);
// and opened as a file, where it cannot run and must say why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve, launch, open, until, DIST } from './harness.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; object-src 'none'";

let server;
let browser;
before(async () => {
  server = await serve(DIST, { prefix: '/some/dir/', headers: { 'content-security-policy': CSP } });
  browser = await launch({ webgpu: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** Records what the policy blocks (the console says it too). */
const recordViolations = () => {
  window.violations = [];
  addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
};

const steps = (n) => () => Number(document.querySelector('[data-phase]')?.dataset.steps || 0) >= 5;
const PAGES = [
  ['', () => document.querySelectorAll('.card img').length === 6 && [...document.querySelectorAll('.card img')].every((i) => i.complete && i.naturalWidth > 0)],
  ['?lab=playground', steps(5)],
  ['?lab=landscape&n=64&width=8&grid=16', () => Number(document.querySelector('.views')?.dataset.grids || 0) > 0],
  ['?lab=dd&n=30&seeds=1', () => Number(document.querySelector('[data-points]')?.dataset.points || 0) > 0],
  ['?lab=ntk&width=16&n=8&steps=10', steps(5)],
  ['?lab=implicit&matrix_steps=200', steps(5)],
  ['?lab=lottery&width=16&n=64&steps=100&rounds=2&seeds=2', steps(5)],
  ['deck.html', () => window.Reveal?.isReady()],
];

test(`every page runs from a sub-path under ${CSP}`, async () => {
  assert.match(server.url, /\/some\/dir\/$/);
  for (const [path, ready] of PAGES) {
    const { page, errors } = await open(browser, server.url + path, { init: recordViolations });
    await until(page, ready);
    if (path.startsWith('?')) {
      await until(page, () => document.querySelectorAll('figcaption .tex .katex').length >= 2);
      await until(page, () => [...document.fonts].some((f) => f.family.replaceAll('"', '') === 'KaTeX_Main' && f.status === 'loaded'));
    }
    if (path.startsWith('?lab=dd')) assert.equal(page.workers().length, 1, 'the worker runs under the policy');
    assert.deepEqual(await page.evaluate(() => window.violations), [], `${path}: nothing is blocked`);
    assert.deepEqual(errors, [], path);
    await page.close();
  }
});

test('opened as a file, the page says it must be served', async () => {
  const { page } = await open(browser, pathToFileURL(join(DIST, 'index.html')).href);
  await until(page, () => document.querySelector('.boot-error'));
  assert.match(await page.textContent('.boot-error'), /served over http\(s\)/);
  await page.close();
});
