// The implicit-bias lab in a real headless Chromium against the release
// build: least squares, separable classification and matrix completion,
// each against its exact answer, in the WebGPU browser and without WebGPU
// (matrix completion trains on the GPU in the first, in f64 on the CPU in
// the second; the rest computes in f64 on the CPU in both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, open, until, screenshot, colours, status } from './harness.mjs';

const ctx = session();

const views = (page) => page.$eval('.views', (el) => ({ ...el.dataset }));
const done = (page) => until(page, () => document.querySelector('[data-phase]')?.dataset.phase === 'done', undefined, 120_000);
const CHARTS = ['plane', 'distance', 'data', 'angle', 'norm', 'margin', 'matrices', 'singular', 'error', 'rank', 'nuclear'];

for (const backend of ['gpu', 'plain']) {
  test(`the implicit-bias lab finds each exact answer and draws every chart (${backend})`, async () => {
    const q = '?lab=implicit&margin_steps=20000&matrix_steps=3000';
    const { page, errors } = await open(ctx[backend], ctx.url + q, { viewport: { width: 1280, height: 1400 } });
    await done(page);
    await until(page, () => document.querySelector('.views')?.dataset.nuclearMin !== '', undefined, 60_000);
    const st = await status(page);
    assert.equal(st.backend.startsWith('webgpu'), backend === 'gpu', st.backend);
    for (const chart of CHARTS) {
      await page.locator(`.chart.implicit.${chart} canvas`).scrollIntoViewIfNeeded();
      assert.ok(await colours(page, `.chart.implicit.${chart} canvas`) > 10, `${chart} is drawn`);
    }
    const v = await views(page);
    assert.ok(Number(v.lstsqMinNorm) < 1e-6, `gradient descent from zero lands on A⁺b: ${v.lstsqMinNorm}`);
    const [gd, ngd] = v.marginAngles.split(',').map(Number);
    assert.ok(ngd < gd / 5, `normalized GD is nearer the SVM direction than GD: ${v.marginAngles}`);
    assert.equal(v.matrixOn, backend === 'gpu' ? 'gpu' : 'cpu');
    assert.ok(Number(v.matrixError) < 0.1 && Number(v.matrixRank) < 2.5, `α = 1e-3 completes the rank-2 target: ${v.matrixError}, ${v.matrixRank}`);
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('button[name="json"]')]);
    const body = JSON.parse(await readFile(await json.path(), 'utf8'));
    assert.equal(body.lstsq.min_norm.length, 2);
    assert.deepEqual(body.margin.optimizers.map((o) => o.method), ['GD', 'normalized GD', 'Adam']);
    assert.deepEqual(body.matrix.models.map((m) => m.alpha), [0.001, Math.sqrt(0.001), 1]);
    assert.deepEqual(body.matrix.models.map((m) => m.step), [3000, 3000, 3000]);
    assert.ok(body.matrix.models[2].unseen_error > 10 * body.matrix.models[0].unseen_error, 'α = 1 keeps its random start');
    await page.locator('.chart.implicit.plane').scrollIntoViewIfNeeded();
    await screenshot(page, `implicit-${backend}.png`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('Adam lands off the minimum-norm solution; a slider updates the URL and restarts', async () => {
  const q = '?lab=implicit&view=lstsq&m=5&n=20&opt=adam&lr=0.01&steps=20000';
  const { page, errors } = await open(ctx.plain, ctx.url + q);
  await done(page);
  const far = Number((await views(page)).lstsqMinNorm);
  assert.ok(far > 0.3, `Adam from zero ends away from A⁺b: ${far}`);
  await page.selectOption('select[name="opt"]', 'gd');
  await until(page, () => new URLSearchParams(location.search).get('opt') === 'gd');
  // Gradient descent lands on it.
  await until(page, () => Number(document.querySelector('.views').dataset.lstsqMinNorm) < 1e-6);
  await page.locator('input[name="m"]').focus();
  await page.keyboard.press('ArrowRight');
  await until(page, () => new URLSearchParams(location.search).get('m') === '6');
  await until(page, () => document.querySelector('.views').dataset.lstsqDims === '6x20' && document.querySelector('[data-phase]').dataset.phase === 'done');
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('button[name="json"]')]);
  const body = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.equal(body.settings.includes('m=6'), true, body.settings);
  assert.ok(body.lstsq.readout[0] < 1e-6, 'the new problem is solved anew');
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [view, count] of [['lstsq', 2], ['margin', 4], ['matrix', 5]]) {
  test(`the ${view} embed shows its ${count} charts and fills its frame`, async () => {
    const q = `?lab=implicit&view=${view}&margin_steps=2000&matrix_steps=200&embed=1`;
    const { page, errors } = await open(ctx.gpu, ctx.url + q, { viewport: { width: 960, height: 600 } });
    await done(page);
    assert.equal(await page.locator('.topbar').count(), 0);
    assert.equal(await page.locator('.chart:visible').count(), count);
    const overflow = await page.evaluate(() => document.documentElement.scrollHeight - innerHeight);
    assert.ok(overflow <= 1, `nothing spills out of the frame (${overflow}px)`);
    await screenshot(page, `implicit-embed-${view}.png`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}
