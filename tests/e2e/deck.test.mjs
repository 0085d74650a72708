// The example lecture deck (static/deck.html, reveal.js shipped with the
// site): each widget slide loads its iframe, the widget runs, and leaving
// and coming back rebuilds the same state from the URL alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, open, until, screenshot } from './harness.mjs';

const ctx = session();

/** The widget's root data-* in the iframe of slide `i`, once it runs. */
async function widgetRunning(page, i) {
  return until(page, (i) => {
    const frame = document.querySelectorAll('.reveal .slides > section')[i].querySelector('iframe');
    const doc = frame?.src && frame.contentDocument;
    const root = doc?.querySelector('[data-phase]');
    if (!root) return null;
    const d = root.dataset;
    const running = d.phase === 'done' || Number(d.steps) > 0 || Number(doc.querySelector('.views')?.dataset.checkpoints) > 0;
    return running ? { phase: d.phase, search: frame.contentWindow.location.search } : null;
  }, i, 120_000);
}

test('the deck loads, and every widget slide runs and comes back the same', async () => {
  const { page, errors } = await open(ctx.gpu, ctx.url + 'deck.html', { viewport: { width: 1280, height: 820 } });
  await until(page, () => window.Reveal?.isReady());
  await screenshot(page, 'deck-title.png');
  const slides = await page.$$eval('.reveal .slides > section', (ss) => ss.map((s, i) => (s.dataset.widget ? i : -1)).filter((i) => i >= 0));
  assert.ok(slides.length >= 3, `at least three widget slides: ${slides}`);
  for (const i of slides) {
    await page.evaluate((i) => window.Reveal.slide(i), i);
    const first = await widgetRunning(page, i);
    await screenshot(page, `deck-slide-${i}.png`);
    // Away: reveal.js unloads the iframe; back: it reloads from its URL.
    await page.evaluate(() => window.Reveal.slide(0));
    await until(page, (i) => !document.querySelectorAll('.reveal .slides > section')[i].querySelector('iframe').getAttribute('src'), i);
    await page.evaluate((i) => window.Reveal.slide(i), i);
    const again = await widgetRunning(page, i);
    assert.equal(again.search, first.search, `slide ${i}: the same state from the URL`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
