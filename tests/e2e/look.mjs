// Manual look: node tests/e2e/look.mjs [query] [name] [w] [h]
import { serve, launch, open, until, screenshot, status } from './harness.mjs';
const [query = '', name = 'look.png', w = '1280', h = '860'] = process.argv.slice(2);
const srv = await serve();
const browser = await launch();
const { page, errors } = await open(browser, srv.url + query, { viewport: { width: +w, height: +h } });
await until(page, () => Number(document.querySelector('.playground')?.dataset.steps ?? 0) > 200);
await page.waitForTimeout(1500);
console.log(await status(page), errors);
console.log(await screenshot(page, name));
await browser.close();
await srv.close();
