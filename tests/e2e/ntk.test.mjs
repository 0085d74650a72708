// The NTK lab in a real headless Chromium against the release build:
// empirical kernels computed on WebGPU (and on the CPU fallback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, open, until, screenshot, colours, status } from './harness.mjs';

const ctx = session();

const views = (page) => page.$eval('.views', (el) => ({ ...el.dataset }));
const allKernels = (page) =>
  until(page, () => {
    const v = document.querySelector('.views')?.dataset;
    return v && Number(v.total) > 0 && v.checkpoints === v.total;
  }, undefined, 180_000);

for (const backend of ['gpu', 'plain']) {
  test(`the NTK lab computes kernels, spectrum, drift and the linearized net (${backend})`, async () => {
    const { page, errors } = await open(ctx[backend], ctx.url + '?lab=ntk&width=64&n=16&steps=60', { viewport: { width: 1400, height: 1300 } });
    await allKernels(page);
    const st = await status(page);
    assert.equal(st.backend.startsWith('webgpu'), backend === 'gpu', st.backend);
    for (const chart of ['gram', 'spectrum', 'drift', 'function', 'bias']) {
      assert.ok(await colours(page, `.chart.tangent.${chart} canvas`) > 10, `${chart} is drawn`);
    }
    const v = await views(page);
    assert.ok(Number(v.drift) > 0 && Number(v.drift) < 1, `the widest net's kernel drifted a little: ${v.drift}`);
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('button[name="json"]')]);
    const body = JSON.parse(await readFile(await json.path(), 'utf8'));
    assert.equal(body.spectrum_init.length, 16);
    assert.ok(body.spectrum_init[15] >= -1e-5 * body.spectrum_init[0], 'positive semi-definite');
    assert.deepEqual(body.drift.map((d) => d.width), [4, 16, 64]);
    await screenshot(page, `ntk-${backend}.png`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the width slider changes the URL and recomputes', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=ntk&width=32&n=12&steps=20');
  await allKernels(page);
  await page.locator('input[name="width"]').focus();
  await page.keyboard.press('ArrowRight');
  await until(page, () => new URLSearchParams(location.search).get('width') !== '32');
  const width = Number(await page.evaluate(() => new URLSearchParams(location.search).get('width')));
  assert.ok(width > 32, `wider: ${width}`);
  await allKernels(page);
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('button[name="json"]')]);
  const body = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.equal(body.drift.at(-1).width, width, 'the kernels are those of the new width');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the spectrum embed shows its view and fills its frame', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + '?lab=ntk&width=32&n=12&steps=20&view=kernel&embed=1', { viewport: { width: 480, height: 360 } });
  await allKernels(page);
  assert.equal(await page.locator('.topbar').count(), 0);
  assert.equal(await page.locator('.chart:visible').count(), 2, 'the Gram matrix and its spectrum');
  const overflow = await page.evaluate(() => document.documentElement.scrollHeight - innerHeight);
  assert.ok(overflow <= 1, `nothing spills out of the frame (${overflow}px)`);
  await screenshot(page, 'ntk-embed.png');
  assert.deepEqual(errors, []);
  await page.close();
});
