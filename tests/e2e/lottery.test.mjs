// The lottery-ticket lab in a real headless Chromium against the release
// build: a small IMP run and its stability test to the end in the WebGPU
// browser (every round one GPU batch) and without WebGPU (on the CPU,
// sliced across frames), its four pictures and its files; a slider restarts it through the URL; an
// embed fills its frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, open, until, screenshot, colours, status } from './harness.mjs';

const ctx = session();

const SMALL = '?lab=lottery&width=16&n=64&steps=100&rewind=10&rounds=2&seeds=2&round=2';
const done = (page) => until(page, () => document.querySelector('[data-phase]')?.dataset.phase === 'done', undefined, 120_000);

for (const backend of ['gpu', 'plain']) {
  test(`the lottery lab runs IMP to the end and draws tickets against both controls (${backend})`, async () => {
    const { page, errors } = await open(ctx[backend], ctx.url + SMALL, { viewport: { width: 1280, height: 1400 } });
    await done(page);
    const st = await status(page);
    assert.equal(st.backend.startsWith('webgpu'), backend === 'gpu', st.backend);
    const root = await page.$eval('[data-phases]', (el) => ({ ...el.dataset }));
    assert.equal(root.phases, '3', 'the dense nets and two rounds');
    // Every model trained: 2 seeds × (100 dense steps + 2 rounds × 3 models
    // × 90 + the stability test's 2 copies × 2 nets from k = 0, 1, 5, 20).
    assert.equal(st.steps, String(2 * (100 + 2 * 3 * 90 + 4 * (100 + 99 + 95 + 80))));
    assert.equal(await page.$eval('.views', (el) => el.dataset.ends), 'ticket:2,reinit:2,random:2', 'all three curves have both rounds');
    for (const chart of ['sparsity', 'training', 'mask', 'stability']) {
      await page.locator(`.chart.lottery.${chart} canvas`).scrollIntoViewIfNeeded();
      assert.ok(await colours(page, `.chart.lottery.${chart} canvas`) > 10, `${chart} is drawn`);
    }
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('button[name="csv"]')]);
    const rows = (await readFile(await csv.path(), 'utf8')).trim().split('\n');
    assert.equal(rows[0], 'round,kept,seed,model,test_loss,test_accuracy,best_step,best_test_loss');
    assert.equal(rows.length, 1 + 2 + 2 * 2 * 3, 'a row per model: the dense nets, then each round’s ticket and controls');
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('button[name="json"]')]);
    const body = JSON.parse(await readFile(await json.path(), 'utf8'));
    assert.deepEqual(body.phases.map((p) => p.kept), [1, 0.5, 0.25], 'half the hidden weights pruned a round');
    for (const p of body.phases) {
      for (const m of p.models) {
        assert.ok(m.test_accuracy > 0.5 && m.test_accuracy <= 1, `round ${p.round} ${m.model}: accuracy ${m.test_accuracy}`);
        assert.equal(m.step[0], p.round === 0 ? 0 : 10, 'rounds start at the rewind step');
        assert.equal(m.step.at(-1), 100);
      }
    }
    assert.deepEqual(body.stability.map((s) => s.rewind_step), [0, 1, 5, 20]);
    for (const s of body.stability) {
      assert.equal(s.dense_barrier.length, 2);
      assert.ok([...s.dense_barrier, ...s.ticket_barrier].every((b) => b >= 0 && b < 1), `barriers at k = ${s.rewind_step}: ${JSON.stringify(s)}`);
    }
    await page.locator('.chart.lottery.sparsity').scrollIntoViewIfNeeded();
    await screenshot(page, `lottery-${backend}.png`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('a slider restarts the lottery lab through the URL, and an embed fills its frame', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + SMALL);
  await done(page);
  await page.locator('input[name="rounds"]').focus();
  await page.keyboard.press('ArrowRight');
  await until(page, () => new URLSearchParams(location.search).get('rounds') === '3');
  await until(page, () => document.querySelector('[data-phases]').dataset.totalPhases === '4');
  await done(page);
  assert.equal(await page.$eval('.views', (el) => el.dataset.ends), 'ticket:3,reinit:3,random:3');
  // Plotting the test loss instead redraws the same run.
  await page.selectOption('select[name="metric"]', 'loss');
  await until(page, () => new URLSearchParams(location.search).get('metric') === 'loss');
  assert.equal(await page.$eval('[data-phase]', (el) => el.dataset.phase), 'done', 'not a new run');
  assert.ok(await colours(page, '.chart.lottery.sparsity canvas') > 10);
  assert.deepEqual(errors, []);
  await page.close();

  const { page: embed, errors: embedErrors } = await open(ctx.gpu, ctx.url + SMALL + '&view=sparsity&embed=1', { viewport: { width: 640, height: 420 } });
  await done(embed);
  const box = await embed.$eval('.chart:not(.hidden) canvas', (c) => c.getBoundingClientRect().toJSON());
  assert.ok(box.width > 560 && box.height > 300, `the chart fills the frame: ${JSON.stringify(box)}`);
  assert.ok(await colours(embed, '.chart:not(.hidden) canvas') > 10, 'and is drawn');
  await screenshot(embed, 'lottery-embed.png');
  assert.deepEqual(embedErrors, []);
  await embed.close();
});
