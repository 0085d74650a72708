// The bench page (`?lab=bench`) runs every configuration on both backends,
// alone and in its lab, and reports numbers (no speed is asserted: these
// machines are shared). Short windows (`ms=300`) keep it to about a minute.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve, launch, until, screenshot } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await serve();
  browser = await launch({ webgpu: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the bench page measures every configuration on both backends and exports the table', async () => {
  // Not through open(), whose backend=gpu would measure the GPU only.
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(server.url + '?lab=bench&ms=300');
  await until(page, () => document.querySelector('.bench')?.dataset.phase === 'done', undefined, 400_000);
  const rows = await page.$$eval('.bench-table tbody tr', (trs) => trs.map((tr) => ({
    name: tr.querySelector('th a').textContent,
    cells: Object.fromEntries([...tr.querySelectorAll('td[data-cell]')].map((td) => [td.dataset.cell, { rate: td.dataset.rate, text: td.textContent, why: td.title }])),
  })));
  assert.equal(rows.length, 6);
  for (const { name, cells } of rows) {
    for (const [cell, { rate, text, why }] of Object.entries(cells)) {
      // A number, or a refusal that names the limit (width 256 × depth 3
      // passes the CPU's and a software adapter's), or (in the page) a
      // counter that did not move twice in its window.
      const ok = rate !== undefined ? Number(rate) >= 0 : /allows|moved less than twice/.test(why);
      assert.ok(ok, `${name}, ${cell}: ${text} ${why}`);
    }
    if (!name.startsWith('width 256')) {
      assert.ok(Number(cells['raw-cpu'].rate) > 0 && Number(cells['raw-gpu'].rate) > 0, `${name}: raw rates on both backends`);
    }
    if (name.startsWith('playground')) {
      assert.ok(Number(cells['page-cpu'].rate) > 0 && Number(cells['page-gpu'].rate) > 0, `${name}: in-page rates on both backends`);
    }
  }
  await screenshot(page, 'bench.png');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[name="json"]')]);
  const report = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(report.window_ms, 300);
  assert.match(report.adapter, /\(software\)$/);
  assert.deepEqual(report.rows.map((r) => r.name), rows.map((r) => r.name));
  const cpu = report.rows[0].raw_cpu.rate.rate;
  assert.equal(String(cpu), rows[0].cells['raw-cpu'].rate, 'the JSON holds the numbers the table shows');
  assert.deepEqual(errors, []);
  await page.close();
});
