// What makes the labs lecture-ready, in headless Chromium against the
// release build: the home page, "Copy embed code", host control by
// postMessage, export (PNG, SVG, CSV, JSON, config), themes, typeset
// formulas, and sliders worked by the keyboard alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, open, until, screenshot } from './harness.mjs';

const ctx = session();

test('the home page shows every lab with a preview, a question and a link', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url, { viewport: { width: 1280, height: 860 } });
  await until(page, () => document.querySelectorAll('.card').length === 6);
  await until(page, () => [...document.querySelectorAll('.card img')].every((i) => i.complete && i.naturalWidth > 0));
  const cards = await page.$$eval('.card', (cs) => cs.map((c) => ({ href: c.getAttribute('href'), q: c.querySelector('.question').textContent })));
  // The harness asks for WebGPU (backend=gpu): links keep what was asked.
  assert.deepEqual(cards.map((c) => c.href), ['playground', 'landscape', 'dd', 'ntk', 'implicit', 'lottery'].map((l) => `./?lab=${l}&backend=gpu`));
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

test('every lab downloads its charts as PNG and SVG images', async () => {
  const labs = ['?lab=playground&width=8', '?lab=landscape&n=64&width=8&grid=16', '?lab=dd&n=30&seeds=1', '?lab=ntk&width=16&n=8&steps=10', '?lab=implicit&margin_steps=2000&matrix_steps=200', '?lab=lottery&width=16&n=64&steps=100&rewind=10&rounds=2&seeds=2'];
  for (const query of labs) {
    const { page, errors } = await open(ctx.gpu, ctx.url + query, { viewport: { width: 1400, height: 1000 } });
    // Every shown chart drawn (more than a background).
    await until(page, () => [...document.querySelectorAll('.chart:not(.hidden) canvas')].every((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4 * 11) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return seen.size > 3;
    }), undefined, 120_000);
    const png = page.locator('.chart:not(.hidden) button[name="png"]');
    assert.ok(await png.count() >= 2, `${query}: a PNG button on each chart`);
    const [download] = await Promise.all([page.waitForEvent('download'), png.first().click()]);
    assert.match(download.suggestedFilename(), /^gradlab-.+\.png$/);
    const bytes = await readFile(await download.path());
    assert.ok(bytes.length > 1000, `${query}: a real picture (${bytes.length} bytes)`);
    assert.deepEqual([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
    const svg = page.locator('.chart:not(.hidden) button[name="svg"]');
    assert.equal(await svg.count(), await png.count(), `${query}: an SVG button beside each PNG button`);
    for (let i = 0; i < await svg.count(); i++) {
      // Chromium drops a page's downloads past 10 a second (the implicit
      // lab's 11th SVG went missing, clicked 50 ms after the last): paced
      // as a person clicks.
      await page.waitForTimeout(150);
      // A missed download says which chart, and what the page logged.
      const saved = page.waitForEvent('download').catch((e) => {
        throw new Error(`${query}: SVG ${i} gave no download (${e.message.split('\n')[0]}); page errors: ${JSON.stringify(errors)}`);
      });
      const [file] = await Promise.all([saved, svg.nth(i).click()]);
      assert.match(file.suggestedFilename(), /^gradlab-.+\.svg$/);
      const text = await readFile(await file.path(), 'utf8');
      assert.match(text, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/, `${file.suggestedFilename()} is an SVG document`);
      assert.match(text, /<\/svg>\s*$/, `${file.suggestedFilename()} is complete`);
      assert.ok((text.match(/<text/g) ?? []).length >= 4, `${file.suggestedFilename()} has axis labels`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('the playground and the landscape export their data and the run config', async () => {
  for (const [query, name] of [['?lab=playground&width=8&data=moons', 'gradlab-playground'], ['?lab=landscape&n=64&width=8&grid=16', 'gradlab-landscape']]) {
    const { page, errors } = await open(ctx.gpu, ctx.url + query, { viewport: { width: 1400, height: 1000 } });
    // The playground's CSV is its loss curve, a row a snapshot: they come
    // at 15 a second (and at steps 2, 4, 8, …), not a step.
    const enough = name === 'gradlab-playground' ? 200 : 20;
    await until(page, (n) => Number(document.querySelector('[data-phase]').dataset.steps) > n, enough);
    if (name === 'gradlab-landscape') await until(page, () => Number(document.querySelector('.views')?.dataset.grids) >= 1, undefined, 120_000);
    const save = async (button) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.click(`.data-export button[name="${button}"]`)]);
      return [file.suggestedFilename(), await readFile(await file.path(), 'utf8')];
    };
    const [csvName, csv] = await save('csv');
    assert.equal(csvName, `${name}.csv`);
    const rows = csv.trim().split('\n');
    assert.ok(rows.length > 10, `${csvName}: ${rows.length} rows`);
    assert.ok(rows.every((r) => r.split(',').length === rows[0].split(',').length), `${csvName}: rectangular`);
    const [jsonName, json] = await save('json');
    assert.equal(jsonName, `${name}.json`);
    const body = JSON.parse(json);
    assert.equal(body.config.seed, 1);
    const [configName, configText] = await save('config');
    assert.equal(configName, `${name}-config.json`);
    const config = JSON.parse(configText);
    assert.deepEqual(Object.keys(config).sort(), ['backend', 'data', 'model', 'seed', 'steps', 'train']);
    assert.deepEqual(config.model.hidden, [8, 8]);
    assert.ok(config.steps >= 1);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('themes: light, dark and projector from the URL or the picker; a bad name is explained', async () => {
  const query = '?lab=ntk&width=16&n=8&steps=10';
  const corner = (page) => page.$eval('.chart:not(.hidden) canvas', (c) => [...c.getContext('2d').getImageData(2, 2, 1, 1).data].slice(0, 3));
  const { page, errors } = await open(ctx.gpu, ctx.url + query + '&theme=dark', { viewport: { width: 1280, height: 900 } });
  await until(page, () => document.querySelector('.views')?.dataset.checkpoints > 2);
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  assert.ok((await corner(page)).every((v) => v < 60), 'the charts are drawn dark');
  assert.equal(await page.$eval('html', (h) => getComputedStyle(h).backgroundColor), 'rgb(17, 21, 26)', 'the page is dark');
  await screenshot(page, 'theme-dark.png');
  await page.selectOption('select[name="theme"]', 'projector');
  await until(page, () => document.documentElement.dataset.theme === 'projector' && new URL(location.href).searchParams.get('theme') === 'projector');
  await page.waitForTimeout(300);
  assert.deepEqual(await corner(page), [255, 255, 255], 'the charts are redrawn light at once');
  assert.equal(await page.getAttribute('.topbar .labs a[href*="lab=dd"]', 'href'), './?lab=dd&theme=projector&backend=gpu', 'links keep the theme and the backend');
  await page.click('button[name="embed-code"]');
  assert.match(await page.inputValue('.embed-code textarea'), /theme=projector/, 'embed code keeps the theme');
  await page.click('button[name="embed-code-close"]');
  await screenshot(page, 'theme-projector.png');
  const { page: bad, errors: badErrors } = await open(ctx.gpu, ctx.url + query + '&theme=neon');
  await until(bad, () => document.querySelector('.notice')?.textContent.includes('theme=neon is not one of light, dark, projector'));
  assert.equal(await bad.getAttribute('html', 'data-theme'), 'light');
  assert.equal(await bad.$eval('html', (h) => getComputedStyle(h).backgroundColor), 'rgb(246, 247, 249)');
  await screenshot(bad, 'theme-light.png');
  const { page: home, errors: homeErrors } = await open(ctx.gpu, ctx.url + '?theme=dark');
  await until(home, () => document.querySelectorAll('.card').length === 6);
  assert.equal(await home.getAttribute('html', 'data-theme'), 'dark', 'the home page takes a theme too');
  await home.selectOption('select[name="theme"]', 'light');
  await until(home, () => !new URLSearchParams(location.search).has('theme') && document.documentElement.dataset.theme === 'light');
  assert.equal(await home.locator('.card').count(), 6, 'and stays the home page');
  errors.push(...homeErrors);
  await home.close();
  assert.deepEqual([...errors, ...badErrors], []);
  await bad.close();
  await page.close();
});

test('captions carry typeset formulas, with MathML for screen readers', async () => {
  for (const query of ['?lab=playground', '?lab=landscape&n=64&width=8&grid=16', '?lab=dd&n=30&seeds=1', '?lab=ntk&width=16&n=8&steps=10', '?lab=implicit&matrix_steps=200', '?lab=lottery&width=16&n=64&steps=100&rounds=2&seeds=2']) {
    const { page, errors } = await open(ctx.gpu, ctx.url + query);
    // Typeset one at a time after the page is built: wait for all of them.
    await until(page, () => {
      const all = [...document.querySelectorAll('figcaption .tex')];
      return all.length >= 2 && all.every((t) => t.querySelector('.katex, .katex-error'));
    });
    const tex = await page.$$eval('figcaption .tex', (ts) => ts.map((t) => ({ html: !!t.querySelector('.katex-html'), math: !!t.querySelector('math'), error: !!t.querySelector('.katex-error') })));
    assert.ok(tex.every((t) => t.html && t.math && !t.error), `${query}: ${JSON.stringify(tex)}`);
    await until(page, () => [...document.fonts].some((f) => f.family.replaceAll('"', '') === 'KaTeX_Main' && f.status === 'loaded'));
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('keyboard alone moves a slider, with its focus visible', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=playground&width=32');
  await until(page, () => document.querySelector('[data-phase]')?.dataset.phase === 'running');
  let focused = '';
  for (let i = 0; i < 40 && focused !== 'width'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.getAttribute('name') ?? '');
  }
  assert.equal(focused, 'width', 'Tab reaches the width slider');
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), label: document.activeElement.closest('label')?.textContent ?? '' };
  });
  assert.notEqual(ring.style, 'none');
  assert.ok(ring.width >= 2, 'a visible focus ring');
  assert.match(ring.label, /width/, 'the slider is labelled');
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
  await until(page, () => new URL(location.href).searchParams.get('width') !== '32');
  const width = Number(new URL(page.url()).searchParams.get('width'));
  assert.ok(width > 32, `width ${width}`);
  assert.equal(await page.$eval('input[name="width"]', (i) => i.getAttribute('aria-valuetext')), String(width));
  await page.keyboard.press('Home');
  await until(page, () => new URL(location.href).searchParams.get('width') === '1');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an embed at 320×240 keeps its chart and its link', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=landscape&view=sharpness&n=64&width=8&embed=1', { viewport: { width: 320, height: 240 } });
  await until(page, () => Number(document.querySelector('[data-phase]').dataset.steps) > 50);
  await page.waitForTimeout(500);
  const box = await page.$eval('.chart:not(.hidden) canvas', (c) => c.getBoundingClientRect().toJSON());
  assert.ok(box.width > 250 && box.height > 100, `the chart fills the frame: ${JSON.stringify(box)}`);
  const link = await page.$eval('.open', (a) => a.getBoundingClientRect().toJSON());
  assert.ok(link.bottom <= 240 && link.right <= 320, 'the "open in gradlab" link is inside the frame');
  await screenshot(page, 'embed-320x240.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('play=0 starts the playground and the NTK lab paused, keeps the flag, and runs on the first press of Play', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=playground&width=8&n=64&play=0&embed=1', { viewport: { width: 640, height: 420 } });
  await until(page, () => document.querySelector('.playground')?.dataset.backend);
  await page.waitForTimeout(1500);
  const root = () => page.$eval('.playground', (el) => ({ ...el.dataset }));
  assert.equal((await root()).phase, 'paused');
  assert.equal((await root()).steps, '0', 'nothing trained before Play');
  assert.equal(new URL(page.url()).searchParams.get('play'), '0', 'the flag stays in the address');
  await page.click('button[name="play"]');
  await until(page, () => Number(document.querySelector('.playground').dataset.steps) > 0);
  // The NTK lab too: no kernel before Play, all of them after.
  const { page: ntk, errors: ntkErrors } = await open(ctx.gpu, ctx.url + '?lab=ntk&width=16&n=8&steps=20&play=0&embed=1');
  await until(ntk, () => document.querySelector('.ntk')?.dataset.backend);
  await ntk.waitForTimeout(1500);
  assert.equal(await ntk.$eval('.ntk', (el) => el.dataset.phase), 'paused');
  assert.equal(await ntk.$eval('.views', (el) => el.dataset.checkpoints), '0', 'no kernel before Play');
  await ntk.click('button[name="play"]');
  await until(ntk, () => { const v = document.querySelector('.views').dataset; return v.total > 0 && v.checkpoints === v.total; });
  assert.deepEqual([...errors, ...ntkErrors], []);
  await ntk.close();
  await page.close();
});
