// What makes the labs lecture-ready, in headless Chromium against the
// release build: the home page, "Copy embed code", host control by
// postMessage, and PNG export of every chart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, open, until, screenshot } from './harness.mjs';

const ctx = session();

test('the home page shows every lab with a preview, a question and a link', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url, { viewport: { width: 1280, height: 860 } });
  await until(page, () => document.querySelectorAll('.card').length === 4);
  await until(page, () => [...document.querySelectorAll('.card img')].every((i) => i.complete && i.naturalWidth > 0));
  const cards = await page.$$eval('.card', (cs) => cs.map((c) => ({ href: c.getAttribute('href'), q: c.querySelector('.question').textContent })));
  assert.deepEqual(cards.map((c) => c.href), ['./?lab=playground', './?lab=landscape', './?lab=dd', './?lab=ntk']);
  assert.ok(cards.every((c) => c.q.endsWith('?')), 'each card asks its question');
  assert.equal(await page.getAttribute('.deck-link a', 'href'), 'deck.html', 'the example deck is linked');
  await screenshot(page, 'gallery.png');
  await page.click('.card[data-lab="dd"]');
  await until(page, () => document.querySelector('.dd-lab') !== null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('"Copy embed code" gives an iframe that shows the same state', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=dd&n=40&noise=0.8&seeds=2&view=model');
  await until(page, () => document.querySelector('.dd-lab')?.dataset.phase === 'done');
  await page.click('button[name="embed-code"]');
  const snippet = await page.inputValue('.embed-code textarea');
  assert.match(snippet, /^<iframe src="[^"]+" width="640" height="420"/);
  const src = snippet.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
  const params = new URL(src).searchParams;
  assert.equal(params.get('embed'), '1');
  assert.equal(params.get('n'), '40');
  assert.equal(params.get('noise'), '0.8');
  const { page: embedded, errors: embedErrors } = await open(ctx.gpu, src, { viewport: { width: 640, height: 420 } });
  await until(embedded, () => document.querySelector('.dd-lab.embed')?.dataset.phase === 'done');
  assert.equal(await embedded.locator('.topbar').count(), 0, 'no chrome');
  const shown = new URL(embedded.url()).searchParams;
  for (const key of ['n', 'noise', 'seeds', 'view']) assert.equal(shown.get(key), params.get(key), key);
  assert.deepEqual([...errors, ...embedErrors], []);
  await embedded.close();
  await page.close();
});

test('a host page steers an embedded widget with postMessage; bad messages are ignored', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + 'deck.html');
  await page.evaluate(() => {
    document.body.innerHTML = '<iframe id="w" width="640" height="420" src="./?lab=playground&width=8&n=64&embed=1"></iframe>'
      + '<iframe id="pinned" width="320" height="240" src="./?lab=dd&n=40&view=model&embed=1&host=https://elsewhere.example"></iframe>';
    window.replies = [];
    window.addEventListener('message', (e) => window.replies.push(e.data));
    window.send = (id, msg) => document.getElementById(id).contentWindow.postMessage(msg, '*');
  });
  const root = (id) => `document.getElementById('${id}').contentDocument?.querySelector('[data-phase]')?.dataset`;
  const search = (id) => page.evaluate((id) => document.getElementById(id).contentWindow.location.search, id);
  await until(page, `Number(${root('w')}?.steps) > 0`);
  await page.evaluate(() => window.send('w', { gradlab: 1, type: 'pause' }));
  await until(page, `${root('w')}?.phase === 'paused'`);
  await page.evaluate(() => window.send('w', { gradlab: 1, type: 'set', params: { width: 16 } }));
  await until(page, () => new URLSearchParams(document.getElementById('w').contentWindow.location.search).get('width') === '16');
  // Not gradlab messages, unknown types, malformed fields: ignored.
  await page.evaluate(() => {
    window.send('w', { type: 'set', params: { width: 3 } });
    window.send('w', 'play');
    window.send('w', { gradlab: 1, type: 'set', params: { width: { deep: 3 } } });
    window.send('w', { gradlab: 1, type: 'explode' });
    window.send('w', { gradlab: 1, type: 'status' });
  });
  await until(page, () => window.replies.length > 0);
  const [reply] = await page.evaluate(() => window.replies);
  assert.equal(reply.type, 'status');
  assert.match(reply.query, /(^|&)width=16(&|$)/, 'the ignored messages changed nothing');
  assert.equal(reply.phase, 'paused');
  // A widget pinned to another host origin obeys no one else.
  await until(page, `${root('pinned')}?.phase === 'done'`);
  await page.evaluate(() => window.send('pinned', { gradlab: 1, type: 'set', params: { n: 80 } }));
  await page.waitForTimeout(500);
  assert.equal(new URLSearchParams(await search('pinned')).get('n'), '40');
  assert.deepEqual(errors, []);
  await page.close();
});

test('every lab downloads its charts as PNG images', async () => {
  const labs = ['?lab=playground&width=8', '?lab=landscape&n=64&width=8&grid=16', '?lab=dd&n=30&seeds=1', '?lab=ntk&width=16&n=8&steps=10'];
  for (const query of labs) {
    const { page, errors } = await open(ctx.gpu, ctx.url + query, { viewport: { width: 1400, height: 1000 } });
    await page.waitForTimeout(1500);
    const buttons = page.locator('.chart:not(.hidden) button[name="png"]');
    assert.ok(await buttons.count() >= 2, `${query}: a PNG button on each chart`);
    const [download] = await Promise.all([page.waitForEvent('download'), buttons.first().click()]);
    assert.match(download.suggestedFilename(), /^gradlab-.+\.png$/);
    const bytes = await readFile(await download.path());
    assert.ok(bytes.length > 1000, `${query}: a real picture (${bytes.length} bytes)`);
    assert.deepEqual([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('play=0 starts paused, keeps the flag, and runs on the first press of Play', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=playground&width=8&n=64&play=0&embed=1', { viewport: { width: 640, height: 420 } });
  await until(page, () => document.querySelector('.playground')?.dataset.backend);
  await page.waitForTimeout(1500);
  const root = () => page.$eval('.playground', (el) => ({ ...el.dataset }));
  assert.equal((await root()).phase, 'paused');
  assert.equal((await root()).steps, '0', 'nothing trained before Play');
  assert.equal(new URL(page.url()).searchParams.get('play'), '0', 'the flag stays in the address');
  await page.click('button[name="play"]');
  await until(page, () => Number(document.querySelector('.playground').dataset.steps) > 0);
  assert.deepEqual(errors, []);
  await page.close();
});
