// The heaviest settings each lab's URL allows, on WebGPU and on the CPU
// fallback: what the page says, its longest main-thread task (long-task
// observer, first 4 s) and how long leaving it takes. A script, not a CI
// test: some of these still block the page (see the exit status).
//
//   node tests/e2e/heavy.mjs        (needs dist/: trunk build --release)
//
// Exits 1 if a task took over 100 ms or leaving took over 5 s.
import { serve, launch, open } from './harness.mjs';

const HEAVIEST = [
  '?lab=playground&width=1024&depth=6&n=5000&batch=0',
  '?lab=landscape&n=1024&width=512&depth=4&grid=128',
  '?lab=dd&n=300&d=100&p=600&seeds=10&train=full&steps=20000',
  '?lab=ntk&width=2048&depth=3&n=512&steps=100000',
];

const observeLongTasks = () => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push(Math.round(e.duration));
  }).observe({ type: 'longtask', buffered: true });
};

const server = await serve();
let bad = 0;
for (const webgpu of [true, false]) {
  const browser = await launch({ webgpu });
  for (const query of HEAVIEST) {
    const { page, errors } = await open(browser, server.url + query, { noWebGpu: !webgpu, init: observeLongTasks });
    await page.waitForTimeout(4000);
    const longest = Math.max(0, ...await page.evaluate(() => window.longTasks));
    const said = (await page.locator('.notice').allTextContents()).filter((t) => !/WebGPU is unavailable/.test(t));
    const t0 = Date.now();
    const left = await page.goto(server.url + '?lab=playground&width=8&n=64', { timeout: 60_000 }).then(() => Date.now() - t0, () => Infinity);
    if (longest > 100 || left > 5000 || errors.length) bad++;
    console.log(`${webgpu ? 'WebGPU' : 'CPU   '} ${query}\n  longest task ${longest} ms, left in ${left} ms, ${errors.length} errors; says: ${said.join(' | ') || '(nothing)'}`);
    await page.close();
  }
  await browser.close();
}
await server.close();
process.exit(bad ? 1 : 0);
