// The double-descent lab in a real headless Chromium against the release
// build: exact random-features curves computed in the page's worker (or,
// where it cannot load, in the page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, open, until, screenshot, colours } from './harness.mjs';

const ctx = session();

const lab = (page) => page.$eval('.dd-lab', (el) => ({ ...el.dataset }));
const done = (page, timeout = 60_000) => until(page, () => document.querySelector('.dd-lab')?.dataset.phase === 'done', undefined, timeout);

test('the double-descent lab computes both curves and draws them', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=dd', { viewport: { width: 1400, height: 1000 } });
  await done(page);
  const s = await lab(page);
  assert.ok(Number(s.total) > 40 && s.points === s.total, `every point computed: ${s.points}/${s.total}`);
  assert.ok(await colours(page, '.chart.dd.model canvas') > 10, 'the model-wise canvas is drawn');
  assert.ok(await colours(page, '.chart.dd.sample canvas') > 10, 'the sample-wise canvas is drawn');
  await screenshot(page, 'dd.png');
  assert.deepEqual(errors, []);
  await page.close();
});

const csvOf = async (page) => {
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('button[name="csv"]')]);
  return readFile(await csv.path(), 'utf8');
};

test('the curves are computed in a worker, or in the page where the worker cannot load', async () => {
  const query = '?lab=dd&n=60&p=60&seeds=3';
  const { page, errors } = await open(ctx.gpu, ctx.url + query);
  await done(page);
  assert.equal(page.workers().length, 1, 'one worker');
  const computed = await csvOf(page);
  await page.close();

  const blocked = await ctx.gpu.newPage();
  await blocked.route(/worker-[0-9a-f]+\.js$/, (route) => route.fulfill({ status: 404, body: '' }));
  const pageErrors = [];
  blocked.on('pageerror', (e) => pageErrors.push(String(e)));
  await blocked.goto(ctx.url + query);
  await done(blocked);
  assert.equal(blocked.workers().length, 0, 'no worker');
  assert.equal(await csvOf(blocked), computed, 'the same numbers');
  assert.deepEqual([...errors, ...pageErrors], []);
  await blocked.close();
});

test('dragging the noise redraws at once, dragging n recomputes', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=dd&n=60&p=60&seeds=3');
  await done(page);
  const before = await page.$eval('.chart.dd.model canvas', (c) => c.toDataURL());
  await page.locator('input[name="noise"]').focus();
  await page.keyboard.press('ArrowRight');
  await until(page, () => new URLSearchParams(location.search).get('noise') !== '0.5');
  // Same data, new σ: no point is recomputed, the picture changes.
  assert.equal((await lab(page)).phase, 'done');
  await until(page, (b) => document.querySelector('.chart.dd.model canvas').toDataURL() !== b, before);
  await page.locator('input[name="n"]').focus();
  await page.keyboard.press('ArrowRight');
  await until(page, () => new URLSearchParams(location.search).get('n') !== '60');
  await done(page);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the curves export as CSV and JSON', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=dd&n=40&p=40&seeds=2');
  await done(page);
  const total = Number((await lab(page)).total);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('button[name="csv"]')]);
  const rows = (await readFile(await csv.path(), 'utf8')).trim().split('\n');
  assert.match(rows[0], /^curve,x,train_median/);
  assert.equal(rows.length - 1, total / 2, 'one row per point of each curve');
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('button[name="json"]')]);
  const body = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.ok(body.model_wise.x.length > 10 && body.sample_wise.test.length === body.sample_wise.x.length);
  assert.match(body.settings, /lab=dd/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the embed view shows one curve and fills its frame', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=dd&view=model&embed=1&n=50', { viewport: { width: 480, height: 360 } });
  await done(page);
  assert.equal(await page.locator('.topbar').count(), 0);
  assert.equal(await page.locator('.chart:visible').count(), 1);
  const overflow = await page.evaluate(() => document.documentElement.scrollHeight - innerHeight);
  assert.ok(overflow <= 1, `nothing spills out of the frame (${overflow}px)`);
  await screenshot(page, 'dd-embed.png');
  assert.deepEqual(errors, []);
  await page.close();
});

const sweepDone = (page) => until(page, () => document.querySelector('.dd-lab')?.dataset.sweep === 'done', undefined, 240_000);

for (const backend of ['gpu', 'plain']) {
  test(`a trained sweep completes with its progress bar and is drawn and exported (${backend})`, async () => {
    const query = '?lab=dd&train=readout&n=30&d=20&seeds=2&steps=150';
    const { page, errors } = await open(ctx[backend], ctx.url + query, { viewport: { width: 1400, height: 1000 } });
    await until(page, () => Number(document.querySelector('.dd-lab')?.dataset.sweepSteps) > 0, undefined, 120_000);
    const mid = await page.$eval('progress.sweep', (p) => [p.value, p.max]);
    assert.ok(mid[1] > 0 && mid[0] > 0, `the bar moves: ${mid}`);
    await sweepDone(page);
    const s = await lab(page);
    assert.ok(Number(s.sweepTotal) > 0 && s.sweepSteps === s.sweepTotal, `every net trained: ${s.sweepSteps}/${s.sweepTotal}`);
    const [value, max] = await page.$eval('progress.sweep', (p) => [p.value, p.max]);
    assert.equal(value, max, 'the bar is full');
    assert.ok(await colours(page, '.chart.dd.epoch canvas') > 10, 'the epoch-wise canvas is drawn');
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('button[name="json"]')]);
    const body = JSON.parse(await readFile(await json.path(), 'utf8'));
    assert.equal(body.trained.training, 'readout');
    const widths = body.trained.model_wise.map((w) => w.p);
    assert.deepEqual(widths, body.model_wise.x, 'a trained point at every width of the exact curve');
    // Away from the threshold a trained readout lands on the exact fit.
    const far = body.trained.model_wise.findIndex((w) => w.p >= 4 * 30);
    const [trained, exact] = [body.trained.model_wise[far].test.median, body.model_wise.test[far].median];
    assert.ok(Math.abs(trained - exact) < 0.1 * exact, `p = ${widths[far]}: trained ${trained} vs exact ${exact}`);
    await screenshot(page, `dd-trained-${backend}.png`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the epoch-wise embed trains and shows only its chart', async () => {
  const query = '?lab=dd&train=full&n=30&d=5&seeds=1&steps=100&view=epoch&embed=1';
  const { page, errors } = await open(ctx.gpu, ctx.url + query, { viewport: { width: 480, height: 360 } });
  await sweepDone(page);
  assert.equal(await page.locator('.chart:visible').count(), 1);
  assert.ok(await colours(page, '.chart.dd.epoch canvas') > 10);
  assert.equal((await lab(page)).phase, 'done', 'no exact curve to wait for');
  await screenshot(page, 'dd-epoch-embed.png');
  assert.deepEqual(errors, []);
  await page.close();
});
