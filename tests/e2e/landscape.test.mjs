// The loss-landscape lab in a real headless Chromium against the release
// build, WebGPU on SwiftShader (and the CPU fallback without it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, open, until, screenshot, status, colours } from './harness.mjs';

const ctx = session();

// Small enough for a software adapter to draw several grids a minute.
const SMALL = '?lab=landscape&n=64&width=16&grid=16';

const views = (page) => page.$eval('.views', (el) => ({ ...el.dataset }));

/** Waits until every picture has been computed at least once. */
async function allDrawn(page, timeout = 120_000) {
  await until(page, () => {
    const v = document.querySelector('.views')?.dataset;
    return v && Number(v.grids) >= 1 && v.sharpness !== '' && v.barrier !== '';
  }, undefined, timeout);
  return views(page);
}

test('on WebGPU the landscape lab draws contours, slice, sharpness and the line between two solutions', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + SMALL, { viewport: { width: 1400, height: 1000 } });
  const v = await allDrawn(page);
  const s = await status(page);
  assert.match(s.backend, /^webgpu: \S/);
  assert.equal(s.phase, 'running');
  assert.ok(Number(v.sharpness) > 0 && Number.isFinite(Number(v.sharpness)), `sharpness ${v.sharpness}`);
  assert.ok(Number.isFinite(Number(v.barrier)), `barrier ${v.barrier}`);
  assert.ok(await colours(page, '.chart.contour canvas') > 50, 'the contour canvas is drawn');
  for (const c of ['slice', 'sharpness', 'connect']) {
    assert.ok(await colours(page, `.chart.${c} canvas`) > 5, `the ${c} canvas is drawn`);
  }
  await screenshot(page, 'landscape-webgpu.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('dragging the learning rate updates the URL and restarts the run', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + SMALL + '&view=contour');
  await until(page, () => Number(document.querySelector('.views')?.dataset.grids) >= 1, undefined, 120_000);
  await until(page, () => Number(document.querySelector('[data-phase]').dataset.steps) >= 5, undefined, 60_000);
  const before = Number((await status(page)).steps);
  await page.locator('input[name="lr"]').focus();
  await page.keyboard.press('ArrowLeft');
  await until(page, () => new URLSearchParams(location.search).get('lr') !== '0.04');
  const lr = Number(new URL(page.url()).searchParams.get('lr'));
  assert.ok(lr < 0.04, `the URL holds the new learning rate (${lr})`);
  await until(page, (n) => Number(document.querySelector('[data-phase]').dataset.steps) < n, before);
  // The new run draws its own grid.
  await until(page, () => Number(document.querySelector('.views').dataset.grids) >= 1, undefined, 120_000);
  assert.equal((await status(page)).phase, 'running');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a learning rate far past 2/λ_max diverges and says so', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + SMALL + '&lr=2&view=sharpness');
  await until(page, () => document.querySelector('[data-phase]')?.dataset.phase === 'diverged', undefined, 60_000);
  assert.match(await page.textContent('.notice.danger'), /diverged — lower the learning rate/i);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the embed view shows the one view it names and fills its frame', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + SMALL + '&view=contour&embed=1', { viewport: { width: 480, height: 360 } });
  await until(page, () => Number(document.querySelector('.views')?.dataset.grids) >= 1, undefined, 120_000);
  assert.equal(await page.locator('.topbar').count(), 0, 'no page header');
  assert.equal(await page.locator('.controls').count(), 0, 'no control panel');
  assert.equal(await page.locator('.chart:visible').count(), 1, 'one view');
  assert.ok(await colours(page, '.chart.contour canvas') > 50, 'the contour canvas is drawn');
  const overflow = await page.evaluate(() => document.documentElement.scrollHeight - innerHeight);
  assert.ok(overflow <= 1, `nothing spills out of the frame (${overflow}px)`);
  const link = await page.getAttribute('a.open', 'href');
  assert.match(link, /lab=landscape/);
  assert.doesNotMatch(link, /embed/);
  await screenshot(page, 'landscape-embed.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('without WebGPU the CPU fallback draws the landscape', async () => {
  const { page, errors } = await open(ctx.plain, ctx.url + SMALL + '&plane=pca', { viewport: { width: 1400, height: 1000 } });
  const v = await allDrawn(page);
  assert.equal((await status(page)).backend, 'cpu');
  assert.ok(Number(v.sharpness) > 0, `sharpness ${v.sharpness}`);
  assert.ok(await colours(page, '.chart.contour canvas') > 50, 'the contour canvas is drawn');
  await screenshot(page, 'landscape-cpu.png');
  assert.deepEqual(errors, []);
  await page.close();
});
