// Browser fuzz, sized for CI: generated URLs over every lab and view on
// WebGPU and on the CPU fallback, and generated host messages into a
// running widget. Seeded: a failure names its seed and its URL or message.
// (The parsers themselves are fuzzed natively with 10⁴ cases each: see
// app/src/kit/properties.rs and app/src/kit/host.rs.)
//
//   FUZZ_SEED=7 FUZZ_URLS=1000 FUZZ_LOG=1 node --test tests/e2e/fuzz.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, open, until } from './harness.mjs';

const ctx = session();
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const URLS = Number(process.env.FUZZ_URLS ?? 100); // per backend
const MESSAGES = Number(process.env.FUZZ_MESSAGES ?? 200);

/** mulberry32: a small seeded generator. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)], chance: (p) => next() < p };
}

const LABS = { playground: [''], landscape: ['contour', 'slice', 'sharpness', 'connect'], dd: ['model', 'sample', 'epoch'], ntk: ['kernel', 'drift', 'function', 'bias'], implicit: ['lstsq', 'margin', 'matrix'], lottery: ['sparsity', 'training', 'mask', 'stability'] };
const JUNK = ['', '-1', '0', '-0', '1e309', '-1e309', 'NaN', 'Infinity', '4294967296', '18446744073709551616', '0.5', '1e-12', 'banana',
  '%C0%AF', '%', '%%41', '∞', 'é', '\u0000', '<script>', 'x'.repeat(10_000), '1'.repeat(400)];

/** Numbers near and past a default value, as text. */
function near(r, value) {
  const x = Number(value);
  if (!Number.isFinite(x)) return r.pick(JUNK.slice(0, 10));
  return String(r.pick([x, x * 2, x / 2, x * 1000, -x, x + 1, Math.round(x * 1e6) / 1e6 + 1e-7]));
}

/**
 * One URL query: a subset of the lab's keys with valid, bounding or junk
 * values (one 10 kB value at most: servers refuse URLs past ~16 kB).
 */
function query(r, lab, defaults, gpu) {
  const parts = [['lab', r.chance(0.05) ? r.pick(['LANDSCAPE', 'zzz', lab.toUpperCase()]) : lab]];
  let long = false;
  const junk = () => {
    const v = r.pick(JUNK);
    if (v.length < 1000) return v;
    if (long) return junk();
    long = true;
    return v;
  };
  for (const [key, value] of defaults) {
    if (key === 'lab' || key === 'backend' || !r.chance(0.4)) continue;
    const kind = r.int(4);
    const v = kind === 0 ? value : kind === 1 ? near(r, value) : kind === 2 ? junk() : r.pick(LABS[lab]);
    parts.push([key, v]);
    if (r.chance(0.1)) parts.push([key, junk()]); // repeated key
  }
  if (r.chance(0.5)) parts.push(['view', r.chance(0.8) ? r.pick(LABS[lab]) : junk()]);
  if (r.chance(0.2)) parts.push(['embed', r.pick(['1', '0', 'yes'])]);
  if (r.chance(0.1)) parts.push(['theme', r.pick(['dark', 'projector', 'neon', ''])]);
  if (r.chance(0.1)) parts.push(['play', r.pick(['0', '1', 'x'])]);
  // Mostly WebGPU on the WebGPU browser (whose software adapter the page
  // otherwise passes over), now and then the other backend, or junk.
  if (r.chance(0.9)) parts.push(['backend', r.chance(0.8) ? (gpu ? 'gpu' : r.pick(['gpu', 'cpu'])) : r.pick(['cpu', 'GPU', '', junk()])]);
  if (r.chance(0.05)) parts.push([r.pick(['colour', '__proto__', '', 'a'.repeat(300)]), junk()]);
  // Junk is written raw (not percent-encoded) now and then, as a pasted link would be.
  return '?' + parts.map(([k, v]) => `${k}=${r.chance(0.2) ? v : encodeURIComponent(v)}`).join('&');
}

const PANIC = /unreachable|panicked at|RuntimeError/i;

/** Each lab's keys and defaults, as the page writes them back. */
async function defaults(browser, url) {
  const all = {};
  for (const lab of Object.keys(LABS)) {
    const { page } = await open(browser, `${url}?lab=${lab}&play=0`);
    await until(page, () => document.querySelector('[data-phase]'));
    await until(page, () => new URLSearchParams(location.search).size > 3);
    all[lab] = [...new URLSearchParams(new URL(page.url()).search)];
    await page.close();
  }
  return all;
}

for (const backend of ['gpu', 'plain']) {
  test(`${URLS} generated URLs on ${backend === 'gpu' ? 'WebGPU' : 'the CPU fallback'}: no error, a widget, a page that answers (seed ${SEED})`, async () => {
    const browser = ctx[backend];
    const keys = await defaults(browser, ctx.url);
    const r = rng(SEED + (backend === 'gpu' ? 0 : 1_000_003));
    const { page, errors } = await open(browser, 'about:blank');
    for (let i = 0; i < URLS; i++) {
      const lab = r.pick(Object.keys(LABS));
      const q = query(r, lab, keys[lab], backend === 'gpu');
      const where = `seed ${SEED}, URL ${i}: ${q.slice(0, 300)}`;
      if (process.env.FUZZ_LOG) console.log(i, q.slice(0, 200));
      await page.goto(ctx.url + q, { timeout: 20_000 });
      await until(page, () => document.querySelector('[data-phase], .views, .lab') !== null, undefined, 5_000).catch((e) => assert.fail(`no widget within 5 s (${where}): ${e.message.slice(0, 200)}`));
      const answered = await Promise.race([page.evaluate(() => 1), new Promise((ok) => setTimeout(() => ok(0), 5_000))]);
      assert.equal(answered, 1, `the page did not answer within 5 s (${where})`);
      await page.waitForTimeout(r.int(300));
      assert.ok(!errors.some((e) => PANIC.test(e)), `a panic: ${errors[0]?.slice(0, 300)} (${where})`);
      assert.deepEqual(errors, [], where);
    }
    await page.close();
  });
}

test(`${MESSAGES} generated host messages into a running widget change nothing but valid sets (seed ${SEED})`, async () => {
  const r = rng(SEED + 2_000_003);
  const { page, errors } = await open(ctx.gpu, ctx.url + 'deck.html');
  await page.evaluate(() => {
    document.body.innerHTML = '<iframe id="w" width="640" height="420" src="./?lab=playground&width=8&n=64&embed=1"></iframe>';
    window.replies = [];
    window.addEventListener('message', (e) => window.replies.push(e.data));
  });
  await until(page, () => Number(document.getElementById('w').contentDocument?.querySelector('[data-phase]')?.dataset.steps) > 0);
  const search = () => page.evaluate(() => document.getElementById('w').contentWindow.location.search);
  const before = await search();
  const values = [null, true, 1, -1, 1e309, NaN, 'x'.repeat(10_000), [], [1, 2], { a: { b: { c: {} } } }, '8', 'width'];
  const junk = () => {
    switch (r.int(8)) {
      case 0: return r.pick(values);
      case 1: return { gradlab: r.pick([0, 2, '1', true, null]), type: 'set', params: { width: 16 } };
      case 2: return { gradlab: 1, type: r.pick(['explode', '', 'SET', 'Set ', null, 7, 'constructor', '__proto__']) };
      case 3: return { gradlab: 1, type: 'set', params: r.pick(values) };
      case 4: return { gradlab: 1, type: 'set', params: { [r.pick(['__proto__', 'constructor', 'prototype', 'widthx', ''])]: r.pick(values) } };
      case 5: return { gradlab: 1, type: 'set', params: { width: 16, depth: r.pick([null, [], [1], { deep: 1 }, NaN]) } }; // one bad field voids the set
      case 6: return JSON.stringify({ gradlab: 1, type: 'set', params: { width: 16 } });
      default: return { gradlab: 1, type: 'set', params: Object.fromEntries(Array.from({ length: 1000 }, (_, k) => [`k${k}`, k])) };
    }
  };
  const sent = [];
  for (let i = 0; i < MESSAGES; i++) {
    const msg = junk();
    sent.push(msg);
    await page.evaluate((m) => document.getElementById('w').contentWindow.postMessage(m, '*'), msg);
    if (i % 20 === 19) await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  }
  await page.waitForTimeout(300);
  const after = await search();
  assert.equal(after, before, `invalid messages changed the widget (seed ${SEED})`);
  // The wiring still works: a valid set changes the URL, a status replies.
  await page.evaluate(() => document.getElementById('w').contentWindow.postMessage({ gradlab: 1, type: 'set', params: { width: 16 } }, '*'));
  await until(page, () => new URLSearchParams(document.getElementById('w').contentWindow.location.search).get('width') === '16');
  assert.deepEqual(errors, []);
  await page.close();
});
