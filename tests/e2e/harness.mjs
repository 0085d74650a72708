// Shared browser-test harness: serve dist/ on localhost, launch Debian's
// Chromium headless with WebGPU on its software adapter (SwiftShader), and
// collect console errors.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
export const DIST = join(ROOT, 'dist');
export const OUT = join(ROOT, 'tests/e2e/out');

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
};

/**
 * Serves `dir` on an ephemeral localhost port, under `prefix` (a sub-path
 * like `/some/dir/`; anything outside it is 404) with extra `headers` on
 * every response.
 */
export async function serve(dir = DIST, { prefix = '/', headers = {} } = {}) {
  const server = createServer(async (req, res) => {
    const asked = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!asked.startsWith(prefix)) { res.writeHead(404, headers).end('not found'); return; }
    const path = normalize('/' + asked.slice(prefix.length));
    const file = join(dir, path.endsWith('/') ? path + 'index.html' : path);
    if (!file.startsWith(dir)) { res.writeHead(403, headers).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}${prefix}`, close: () => new Promise((ok) => server.close(ok)) };
}

const CHROMIUM = process.env.CHROMIUM ?? '/usr/lib/chromium/chromium';

/** Headless Chromium; `webgpu: false` leaves WebGPU off. */
export async function launch({ webgpu = true } = {}) {
  const args = [
    '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  browser.webgpu = webgpu;
  return browser;
}

/**
 * A lab's URL asking for WebGPU (`backend=gpu`), unless it asks for a
 * backend already: SwiftShader is a software adapter, which the page
 * otherwise passes over for the CPU. Other pages (the deck) as they are.
 */
export function onGpu(url) {
  if (/\.html(\?|$)/.test(url) || /[?&]backend=/.test(url) || !url.startsWith('http')) return url;
  return url + (url.includes('?') ? '&' : '?') + 'backend=gpu';
}

/**
 * A page that records console errors and uncaught exceptions. On the
 * WebGPU browser, a lab's URL asks for WebGPU (onGpu).
 */
export async function open(browser, url, { viewport = { width: 1280, height: 860 }, noWebGpu = false, init = null } = {}) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (noWebGpu) {
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
  }
  if (init) await page.addInitScript(init);
  await page.goto(browser.webgpu ? onGpu(url) : url);
  return { page, errors };
}

/** Polls `fn` in the page until it returns a truthy value. */
export async function until(page, fn, arg, timeout = 60_000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  return handle.jsonValue();
}

export async function screenshot(page, name) {
  await mkdir(OUT, { recursive: true });
  const path = join(OUT, name);
  await page.screenshot({ path });
  return path;
}

/** The lab root's data-* attributes (the element carrying data-phase). */
export function status(page) {
  return page.$eval('[data-phase]', (el) => ({ ...el.dataset }));
}

/** Distinct colours in a canvas: a blank or single-colour canvas has one or two. */
export function colours(page, selector) {
  return page.$eval(selector, (c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4 * 7) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  });
}

/**
 * For a test file: before its tests, serve dist/ and launch one browser
 * with WebGPU and one without; close them after. The returned object is
 * filled in by then: `{ url, gpu, plain }`.
 */
export function session() {
  const s = {};
  let server;
  before(async () => {
    server = await serve();
    s.url = server.url;
    s.gpu = await launch({ webgpu: true });
    s.plain = await launch({ webgpu: false });
  });
  after(async () => {
    await s.gpu?.close();
    await s.plain?.close();
    await server?.close();
  });
  return s;
}
