// Drives a running Trawl with the published @mendable/firecrawl-js SDK, unchanged.
// usage: node firecrawl_js_check.mjs API_URL API_KEY SITE_URL PAGES
import Firecrawl from "@mendable/firecrawl-js";

const [api, key, site, pagesArg] = process.argv.slice(2);
const pages = Number(pagesArg);
const fc = new Firecrawl({ apiKey: key, apiUrl: api });

function check(name, cond, detail = "") {
  if (!cond) {
    console.error(`FAILED ${name}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
    process.exit(1);
  }
  console.log(`ok ${name}`);
}

const doc = await fc.scrape(`${site}/p/1.html`, { formats: ["markdown", "links"] });
check("scrape markdown", doc.markdown?.startsWith("# Page 1"), doc);
check("scrape metadata", doc.metadata?.statusCode === 200, doc.metadata);

const job = await fc.crawl(`${site}/`, { limit: pages + 1, pollInterval: 1 });
check("crawl completed", job.status === "completed", job.status);
const urls = job.data.map((d) => d.metadata?.sourceURL);
check("crawl every page once", urls.length === pages + 1 && new Set(urls).size === urls.length, `${urls.length}`);
check("crawl no private page", !urls.some((u) => u.includes("/private/")));

const started = await fc.startCrawl(`${site}/`, { limit: 3 * pages });
check("startCrawl id", !!started.id);
let status;
const deadline = Date.now() + 120000;
for (;;) {
  status = await fc.getCrawlStatus(started.id);
  if (status.status !== "scraping") break;
  if (Date.now() > deadline) check("startCrawl finishes", false, status.status);
  await new Promise((r) => setTimeout(r, 500));
}
check("getCrawlStatus paginates", status.status === "completed" && status.data.length === pages + 1,
  `${status.status} ${status.data.length}`);
const errors = await fc.getCrawlErrors(started.id);
check("crawl errors list robots-blocked", errors.robotsBlocked.length === pages, errors);

const slow = await fc.startCrawl(`${site}/`, { limit: pages + 1, delay: 1, maxConcurrency: 1 });
const cancelled = await fc.cancelCrawl(slow.id);
check("cancelCrawl", cancelled === true, cancelled);

const mapped = await fc.map(`${site}/`, { limit: 1000 });
check("map links", mapped.links.length >= pages, mapped.links.length);

const batch = await fc.batchScrape([0, 1, 2, 3, 4].map((i) => `${site}/p/${i}.html`), {
  options: { formats: ["markdown"] },
  pollInterval: 1,
});
check("batchScrape", batch.status === "completed" && batch.data.length === 5, `${batch.status} ${batch.data.length}`);

// watcher: the WebSocket status stream (Node runs with --experimental-websocket so the
// SDK finds a WebSocket; it passes the key as the subprotocol). HTTP polling, its
// fallback, is counted: every page must arrive over the socket.
for (const [kind, started, want] of [
  ["crawl", await fc.startCrawl(`${site}/`, { limit: pages + 1 }), pages + 1],
  ["batch", await fc.startBatchScrape([0, 1, 2, 3, 4].map((i) => `${site}/p/${i}.html`)), 5],
]) {
  const w = fc.watcher(started.id, { kind, pollInterval: 30, timeout: 120 });
  let polls = 0;
  const poll = w.pollLoop.bind(w);
  w.pollLoop = async () => { polls += 1; return poll(); };
  const docs = [];
  const snapshots = [];
  w.on("document", (d) => docs.push(d));
  w.on("snapshot", (s) => snapshots.push(s.status));
  let ended;
  w.on("done", (e) => { ended = e; });
  await w.start();
  check(`watcher ${kind} done`, ended?.status === "completed", ended);
  const urls = new Set(docs.map((d) => d.metadata?.sourceURL));
  check(`watcher ${kind} every page once`, docs.length === want && urls.size === want, `${docs.length}`);
  check(`watcher ${kind} snapshots`, snapshots.length > 0, snapshots);
  check(`watcher ${kind} over the socket`, polls === 0 && w.ws?.protocol === key, `${polls} polls, protocol ${w.ws?.protocol}`);
}

const conc = await fc.getConcurrency();
check("getConcurrency", conc && typeof conc.maxConcurrency === "number", conc);
console.log("all checks passed");
